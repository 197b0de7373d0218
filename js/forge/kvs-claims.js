// The KVS primitive the Forge journal's claims are built on (js/forge/journal.js), as adapter
// methods for js/forge/platform.js's `kvs` object:
//
//   kvs.create(key, value) → true if it created the key, false if the key existed (atomic)
//
// It is `kvs.set(key, value, { keyPolicy: "FAIL_IF_EXISTS" })` (@forge/kvs >= 1.3.0: the
// PolicySetOptions type of its set(); https://developer.atlassian.com/platform/forge/storage-reference/kvs-api/).
// One writer wins among concurrent creates of one key; the others are rejected. The rejection's
// code is taken to be KEY_CONFLICT / HTTP 409, as reported by users (e.g. "Forge KVS locking:
// FAIL_IF_EXISTS vs TTL leases", leanzero.hashnode.dev: one winner in twelve concurrent writes,
// eleven KEY_CONFLICT at 409); it is not in Atlassian's reference, so any other error propagates
// and the claim fails closed (the caller sees a JOURNAL error, never a false win).
//
// No TTL is used: an expired KVS key is deleted lazily (within 48 h), so a TTL cannot free a
// lease on time, and a key that is deleted and created again is exactly the race the journal's
// generation scheme avoids.
//
// platform.js (owned elsewhere) wires it as:  kvs: { get, set, query, claim, ...kvsClaimMethods(kvs) }
export function kvsClaimMethods(kvs) {
  return {
    async create(key, value) {
      try {
        await kvs.set(key, value, { keyPolicy: "FAIL_IF_EXISTS" });
        return true;
      } catch (err) {
        if (isKeyConflict(err)) return false;
        throw err;
      }
    },
  };
}

export function isKeyConflict(err) {
  return err?.code === "KEY_CONFLICT" || err?.responseDetails?.status === 409;
}
