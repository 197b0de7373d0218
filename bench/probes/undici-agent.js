// Preloaded by bench/hosts.js for the "undici Agent" variant: the CLI's global fetch becomes npm
// undici's fetch on an Agent with explicit keep-alive settings (the CLI itself never depends on
// undici: it is only in node_modules as a development dependency of miniflare).
import { fetch, Agent } from "undici";

const agent = new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 256, pipelining: 1 });
globalThis.fetch = (url, init) => fetch(url, { ...init, dispatcher: agent });
