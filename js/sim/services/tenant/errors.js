// tenant_info needs no auth and never fails; workspace discovery only fails on auth (server-wide 401).
export {};
