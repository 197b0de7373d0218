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
  if (err) return err;
  return [c.plan ? planText(c.plan) : "", ...(c.notes ?? [])].filter(Boolean).join("; ");
}

/** A dry run's plan for one customer, call by call (the core decides it; this only words it). */
export function planText(p) {
  const bits = [];
  if (p.migrate) bits.push(`migrate: ${p.migrate}`);
  if (p.writeBack) bits.push(`write ${p.writeBack.value} to "${p.writeBack.attribute}" of object ${p.writeBack.object}`);
  if (p.groups?.length) bits.push(`add to group ${p.groups.join(", ")}`);
  if (p.space) bits.push(`grant ${p.space.permissions.join(", ")} in space ${p.space.key} (from ${p.space.from})`);
  return bits.join("; ");
}
