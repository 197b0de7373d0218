// Progress sinks for the core's events ({kind: start|customer|waiting|finish}), all on stderr so
// stdout stays the table and summary.

export function createProgress(mode = "auto", stream = process.stderr) {
  if (mode === "auto") mode = stream.isTTY ? "bar" : "none";
  if (mode === "json") return { event: (e) => stream.write(JSON.stringify(e) + "\n"), end() {} };
  if (mode === "bar") return bar(stream);
  return { event() {}, end() {} };
}

const ORDER = ["migrated", "already_migrated", "failed", "skipped", "planned"];

/** One line redrawn in place: done/total, counts by status, rate, ETA, and any wait. */
function bar(stream, now = () => Date.now()) {
  let total = 0, done = 0, started = now(), counts = {}, waiting = null, last = 0, drawn = false;
  const draw = (force) => {
    const t = now();
    if (!force && t - last < 100) return; // at most ~10 redraws a second
    last = t;
    const secs = (t - started) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 && total > done ? ` ETA ${fmtSecs((total - done) / rate)}` : "";
    const width = 20;
    const filled = total ? Math.round((done / total) * width) : 0;
    const stats = ORDER.filter((s) => counts[s]).map((s) => `${s}=${counts[s]}`).join(" ");
    const wait = waiting && waiting.until > t ? `  waiting ${fmtSecs(waiting.ms / 1000)} (${waiting.surface}: ${waiting.reason})` : "";
    let line = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${stats} ${rate.toFixed(1)}/s${eta}${wait}`;
    const cols = stream.columns || 120;
    if (line.length > cols - 1) line = line.slice(0, cols - 1);
    stream.write(`\r${line}\x1b[K`);
    drawn = true;
  };
  return {
    event(e) {
      if (e.kind === "start") { total = e.total; started = now(); draw(true); }
      else if (e.kind === "customer") {
        done = e.done;
        total = e.total;
        counts[e.status] = (counts[e.status] ?? 0) + 1;
        draw(done === total);
      } else if (e.kind === "waiting") { waiting = { ...e, until: now() + e.ms }; draw(true); }
      else if (e.kind === "finish") draw(true);
    },
    end() {
      if (drawn) stream.write("\n");
      drawn = false;
      total = done = 0;
      counts = {};
      waiting = null;
    },
  };
}

function fmtSecs(s) {
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
