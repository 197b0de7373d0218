// A child for tests/js/cli-lock.test.js: waits for "go" on stdin, then opens the journal at argv[2]
// (taking its lock) and prints "won" or "busy <message>". A winner keeps the lock until stdin ends.
// LOCK_CHILD_MODULE may name another module exporting openJournal (measurements of older schemes).
import { pathToFileURL } from "node:url";

const file = process.argv[2];
const mod = await import(process.env.LOCK_CHILD_MODULE ? pathToFileURL(process.env.LOCK_CHILD_MODULE).href : "../../../js/cli/journal.js");
process.stdout.write("ready\n");
process.stdin.once("data", () => {
  let journal;
  try {
    journal = mod.openJournal(file);
  } catch (e) {
    process.stdout.write(`busy ${e.message}\n`);
    process.exit(0);
  }
  process.stdout.write(`won ${process.pid}\n`);
  process.stdin.on("end", () => {
    journal.close();
  });
  process.stdin.resume();
});
