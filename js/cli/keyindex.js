// The CLI journal's key → slot map, without the keys: an open-addressing table of slot numbers and,
// per slot, a 32-bit hash of its key and the class of its first path segment ("customer/", "job/",
// …), all in typed arrays. A key is confirmed by reading it back (`keyAt(slot)`, from the file),
// so two keys sharing a hash stay two keys. A Map of key strings cost ~0.14 KiB per key of live
// heap, and V8's heap peaked at several times that between collections (bench S3, 100,000
// customers: two keys each); this holds ~15 bytes per key outside the JS heap (the journal's offsets
// and lengths, 12 more).
//
// Slots are numbered 0, 1, 2, … in the order keys first appear (the journal's slot table uses the
// same numbers); nothing is ever deleted.

const EMPTY = -1;
const OTHER = 255; // a first segment beyond the 254 distinct ones classed
const RECENT = 4096; // slot → key of recent adds and finds: most confirmations never read the file

/** `keyAt(slot)` → the key stored at `slot`; `hashOf` replaces the hash (tests force collisions). */
export function keyIndex(keyAt, { hashOf = hash } = {}) {
  let table = new Int32Array(2048).fill(EMPTY);
  let h1 = new Uint32Array(1024);
  let cls = new Uint8Array(1024);
  let n = 0;
  const segments = new Map(); // first segment → class
  const recent = new Map();

  const remember = (slot, key) => {
    recent.delete(slot);
    recent.set(slot, key);
    if (recent.size > RECENT) recent.delete(recent.keys().next().value);
  };
  const confirm = (slot, key) => {
    const k = recent.get(slot) ?? keyAt(slot);
    if (k !== key) return false;
    remember(slot, key);
    return true;
  };
  const classOf = (key, create) => {
    const cut = key.indexOf("/");
    if (cut < 0) return OTHER;
    const seg = key.slice(0, cut + 1);
    let c = segments.get(seg);
    if (c === undefined && create && segments.size < OTHER) segments.set(seg, (c = segments.size));
    return c ?? OTHER;
  };
  const place = (slot) => {
    const mask = table.length - 1;
    let i = h1[slot] & mask;
    while (table[i] !== EMPTY) i = (i + 1) & mask;
    table[i] = slot;
  };
  const grow = (arr, size) => {
    const next = new arr.constructor(size);
    next.set(arr);
    return next;
  };

  return {
    get size() { return n; },
    /** The slot of `key`, or undefined. */
    find(key) {
      const a = hashOf(key);
      const mask = table.length - 1;
      for (let i = a & mask; table[i] !== EMPTY; i = (i + 1) & mask) {
        const s = table[i];
        if (h1[s] === a && confirm(s, key)) return s;
      }
      return undefined;
    },
    /** Records a new key at `slot` (the next number: n). */
    add(key, slot) {
      if (slot !== n) throw new Error(`key index: slot ${slot} added out of order (next is ${n})`);
      if (n === h1.length) {
        h1 = grow(h1, n * 2);
        cls = grow(cls, n * 2);
      }
      h1[n] = hashOf(key);
      cls[n] = classOf(key, true);
      n++;
      // Linear probing stays short up to three quarters full.
      if (n * 4 > table.length * 3) {
        table = new Int32Array(table.length * 2).fill(EMPTY);
        for (let s = 0; s < n; s++) place(s);
      } else {
        place(slot);
      }
      remember(slot, key);
    },
    /** Every slot from `from` whose key may start with `prefix` (the caller checks the key). */
    *slots(prefix, from = 0) {
      const c = prefix.includes("/") ? classOf(prefix, false) : null;
      for (let s = from; s < n; s++) if (c === null || cls[s] === c || cls[s] === OTHER) yield s;
    },
    bytes: () => table.byteLength + h1.byteLength + cls.byteLength,
  };
}

/** FNV-1a over the key's UTF-16 code units, 32 bits (a hit is confirmed by the key itself). */
function hash(key) {
  let a = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) a = Math.imul(a ^ key.charCodeAt(i), 0x01000193);
  return a >>> 0;
}
