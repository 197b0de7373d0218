// Confluence spaces and space permissions, with the guest rule: one assigned space per guest (§7.1, §7.3).
import * as E from "./errors.js";

/** Valid key → targets (§7.1). */
export const VALID_OPS = {
  create: ["page", "blogpost", "comment", "attachment"],
  read: ["space"],
  delete: ["page", "blogpost", "comment", "attachment", "space"],
  export: ["space"],
  administer: ["space"],
  archive: ["page"],
  restrict_content: ["space"],
};
const NOT_FOR_GUESTS = new Set(["administer/space", "export/space", "restrict_content/space"]);

export class ConfluenceStore {
  constructor(tenant) {
    this.t = tenant;
    this.spaces = new Map(); // key -> space
    this.byId = new Map();
    this.nextPermId = 0;
  }

  addSpace({ key, name }, ownerId) {
    const id = String(1000000 + this.t.rng.int(9000000));
    const s = { id, key, name, type: "global", status: "current", permissions: [] };
    this.spaces.set(key, s);
    this.byId.set(id, s);
    if (!this.nextPermId) this.nextPermId = 100000 + this.t.rng.int(900000);
    if (ownerId) {
      for (const [k, target] of [["read", "space"], ["administer", "space"]]) {
        s.permissions.push({ id: this.nextPermId++, subject: { type: "user", identifier: ownerId }, operation: { key: k, target } });
      }
    }
    return s;
  }

  space(key) {
    const s = this.spaces.get(key);
    if (!s) throw E.spaceNotFound(key);
    return s;
  }

  spaceById(id) {
    const s = this.byId.get(String(id));
    if (!s) throw E.spaceIdNotFound(id);
    return s;
  }

  /** Resolve the subject to its canonical identifier (groups: groupId; names are still accepted). */
  subject(subject) {
    const type = subject?.type;
    const id = subject?.identifier;
    if ((type !== "user" && type !== "group") || typeof id !== "string" || id === "") throw E.invalidSubject();
    if (type === "group") {
      const g = this.t.groups.byId.get(id) ?? this.t.groups.byName.get(id.toLowerCase());
      if (!g) throw E.noGroup(id);
      return { type, identifier: g.groupId, user: null };
    }
    const u = this.t.users.get(id);
    if (!u || !this.t.users.visible(u)) throw E.userNotFound(id);
    return { type, identifier: id, user: u };
  }

  has(space, subject, key, target) {
    return space.permissions.some((p) => p.subject.type === subject.type && p.subject.identifier === subject.identifier
      && p.operation.key === key && p.operation.target === target);
  }

  /**
   * Add one permission. Order: space → operation → subject → guest rules → duplicate → read first.
   */
  grant(spaceKey, subjectIn, operation) {
    const space = this.space(spaceKey);
    const key = operation?.key;
    const target = operation?.target;
    if (!VALID_OPS[key]?.includes(target)) throw E.invalidOperation(operation);
    const op = { key, target };
    const subject = this.subject(subjectIn);
    const u = subject.user;
    if (u?.guest) {
      if (u.guestSpace && u.guestSpace !== space.key) throw E.guestHasSpace(u.guestSpace);
      if (NOT_FOR_GUESTS.has(`${key}/${target}`)) throw E.guestNotAllowed(op);
    }
    if (this.has(space, subject, key, target)) throw E.alreadyExists(op);
    if (!(key === "read" && target === "space") && !this.has(space, subject, "read", "space")) throw E.readMissing(op);
    const perm = { id: this.nextPermId++, subject: { type: subject.type, identifier: subject.identifier }, operation: op };
    space.permissions.push(perm);
    if (u?.guest && !u.guestSpace) u.guestSpace = space.key;
    return perm;
  }

  /** Removing read/space removes all of the subject's permissions in the space (§7.1). */
  revoke(spaceKey, id) {
    const space = this.space(spaceKey);
    const perm = space.permissions.find((p) => String(p.id) === String(id));
    if (!perm) throw E.permissionNotFound(id);
    const all = perm.operation.key === "read" && perm.operation.target === "space";
    space.permissions = space.permissions.filter((p) => p !== perm && !(all
      && p.subject.type === perm.subject.type && p.subject.identifier === perm.subject.identifier));
    const u = perm.subject.type === "user" ? this.t.users.get(perm.subject.identifier) : null;
    if (all && u?.guest && u.guestSpace === space.key) u.guestSpace = null;
  }

  all() {
    return [...this.spaces.values()];
  }
}
