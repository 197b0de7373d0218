// One seeded generator (mulberry32) for every generated id, name and fault roll.

export class Rng {
  constructor(seed) {
    this.state = (Number(seed) >>> 0) || 0;
  }

  /** [0, 1) */
  next() {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n) {
    return Math.floor(this.next() * n);
  }

  pick(list) {
    return list[this.int(list.length)];
  }

  hex(n) {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[this.int(16)];
    return s;
  }

  /** RFC 4122 version-4 shaped UUID. */
  uuid() {
    const h = this.hex(32).split("");
    h[12] = "4";
    h[16] = "89ab"[this.int(4)];
    const s = h.join("");
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }

  /** A new Atlassian account id (prefixed form, §6). */
  aaid() {
    return `712020:${this.uuid()}`;
  }

  /** A portal-only customer id: qm:<uuid>:<24 hex> (§6). */
  qmId() {
    return `qm:${this.uuid()}:${this.hex(24)}`;
  }
}

/** Fixed creation time of seeded data, so seeded state is reproducible. */
export const SEED_TIME = Date.UTC(2024, 0, 15, 9, 0, 0);
