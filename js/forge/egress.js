// The per-invocation external-fetch budget. Forge counts every egress request (plain `fetch`) of
// one invocation, but not requestJira / requestConfluence: "Egress requests: 100 per runtime
// minute (rounded up) ... excluding those made using requestJira or requestConfluence. The limit
// is calculated based on the function timeout, specified by timeoutSeconds, rounded up per
// minute. A function without a timeout declared is limited to 100 requests."
// (https://developer.atlassian.com/platform/forge/platform-quotas-and-limits/#invocation-limits).
// Past it the proxy answers 429 `forge-proxy-error: FETCH_LIMIT_EXCEEDED` (ECO-491), which the
// core would take for an Atlassian rate limit and retry until the chunk ends.
//
// After the product-fetch routing only the admin gateway goes out as egress: 1 call per customer
// in single mode (the migrate PUT), 1 per batch in bulk mode, 1 per directory page. Two rules keep
// an invocation inside its budget whatever the speed of the other calls:
//   pace   at most PER_MINUTE calls per started minute of the invocation (100 at once, 200 once a
//          minute has passed, ...), so the budget of a timeoutSeconds function is never reached
//          before that timeout; a call over the pace waits for the next minute. The wait is
//          latency to the core, so its per-customer estimate grows and its deadline stops
//          starting customers in time.
//   stop   a call that would exceed the budget fails at once (code EGRESS_BUDGET, retryable)
//          instead of reaching Forge's proxy: the customer stays open in the journal.
// deadlineMs() is the last minute boundary at which the pace still leaves a reserve for the
// customers in flight (each may need its migrate call, and a 429 can double it): a chunk must not
// start customers after it. With timeoutSeconds 900 that is minute 14 minus the reserve, later than the
// 10-minute chunk, so time decides there; shorter budgets make it decide.
export const PER_MINUTE = 100;
const MINUTE = 60_000;

export function budgetFor(timeoutSeconds) {
  const minutes = timeoutSeconds ? Math.ceil(timeoutSeconds / 60) : 1;
  return PER_MINUTE * Math.max(1, minutes);
}

function budgetError(limit) {
  const err = new Error(`the Forge external-fetch budget of this invocation (${limit} requests) is spent; the rest waits for the next chunk`);
  err.code = "EGRESS_BUDGET";
  err.retryable = true;
  return err;
}

/**
 * One invocation's counter. `now` and `sleep` are the platform's (virtual in tests).
 * `reserve`: external calls kept back for customers in flight when the deadline comes.
 */
export function createEgressBudget({ timeoutSeconds, now, sleep, reserve = 0 }) {
  const limit = budgetFor(timeoutSeconds);
  const started = now();
  let used = 0;
  const allowedAt = (elapsed) => Math.min(limit, PER_MINUTE * (1 + Math.floor(elapsed / MINUTE)));

  return {
    limit,
    get used() {
      return used;
    },
    /** Resolves when one more external call may go; rejects with EGRESS_BUDGET when none may. */
    async take() {
      for (;;) {
        if (used >= limit) throw budgetError(limit);
        const elapsed = Math.max(0, now() - started);
        if (used < allowedAt(elapsed)) {
          used++;
          return;
        }
        await sleep(MINUTE - (elapsed % MINUTE) + 1);
      }
    },
    /**
     * Epoch ms after which a chunk starts no customer (see the header). A budget of one minute's
     * worth never grows, so no moment bounds it: Infinity (such invocations run small inline jobs,
     * and `take` still stops at the limit).
     */
    deadlineMs() {
      if (limit <= PER_MINUTE) return Infinity;
      return started + Math.max(0, (limit - reserve) / PER_MINUTE - 1) * MINUTE;
    },
  };
}
