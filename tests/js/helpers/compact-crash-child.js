// A child for tests/js/cli-journal-index.test.js: opens the journal at argv[2] with compactMin 1 and
// an fs that SIGKILLs this process at argv[3]:
//   mid-write      after the first chunk of the temp file is written
//   before-fsync   right before the temp file is fsynced
//   before-rename  after the temp file is fsynced, before the rename
//   after-rename   after the rename, before the directory fsync
import fs from "node:fs";
import { openJournal } from "../../../js/cli/journal.js";

const [file, point] = process.argv.slice(2);
const die = () => process.kill(process.pid, "SIGKILL");
const temps = new Set();
const crashFs = {
  ...fs,
  openSync(p, flags, mode) {
    const fd = fs.openSync(p, flags, mode);
    if (String(p).includes(".tmp-")) temps.add(fd);
    return fd;
  },
  writeSync(fd, ...rest) {
    const n = fs.writeSync(fd, ...rest);
    if (point === "mid-write" && temps.has(fd)) die();
    return n;
  },
  fsyncSync(fd) {
    if (point === "before-fsync" && temps.has(fd)) die();
    fs.fsyncSync(fd);
  },
  renameSync(a, b) {
    if (point === "before-rename") die();
    fs.renameSync(a, b);
    if (point === "after-rename") die();
  },
};
openJournal(file, { compactMin: 1, fs: crashFs });
process.stdout.write("compacted without a crash\n");
