// The readable result on stdout: one row per customer.

const HEAD = ["COMPANY", "EMAIL", "OLD ID -> NEW ID", "STATUS", "DETAIL"];

export function renderTable(report) {
  const rows = report.customers.map((c) => [
    c.company ?? "-",
    c.email ?? "-",
    `${c.portalAccountId ?? "-"} -> ${c.accountId ?? "-"}`,
    c.status,
    detail(c),
  ]);
  if (rows.length === 0) return "(no customers selected)\n";
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((f, i) => (i === r.length - 1 ? f : f.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(HEAD), ...rows.map(line)].join("\n") + "\n";
}

function detail(c) {
  const err = (c.error ?? "").replace(/\s+/g, " ");
  if (c.failedStep) return `${c.failedStep}: ${err}`;
  return err;
}
