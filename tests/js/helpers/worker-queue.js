// The Worker bundle in miniflare (as tests/js/helpers/worker.js) with its JOBS producer replaced
// by a second Worker, "flaky-queue", whose RPC `send` forwards to the real portal-migrate-jobs
// queue unless told to fail (as Queues do when rate limited: "Too Many Requests",
// https://developers.cloudflare.com/queues/platform/limits/) or to lose messages (a crash after the
// send, a message that never arrives). Its fetch handler takes the plan (POST {fail, drop}) and
// answers every send it saw.
//
// Miniflare 4.20260426 emulates a queue's consumer one batch at a time (its broker awaits each
// batch before the next: max_concurrency is not emulated), honours delays and moves a message to
// the dead-letter queue after max_retries + 1 failed attempts. Concurrent deliveries are made
// directly with the Worker's queue() entry point, as the broker calls it; TEST_DLQ is a producer
// binding of the dead-letter queue for the tests only.
import path from "node:path";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { CONFIG, SECRETS } from "./worker.js";

export const JOBS_QUEUE = "portal-migrate-jobs";
export const DEAD_LETTER_QUEUE = "portal-migrate-jobs-dlq";

const FLAKY_QUEUE = `
import { WorkerEntrypoint } from "cloudflare:workers";
const plan = { fail: 0, drop: 0 };
const sent = [];
export class FlakyQueue extends WorkerEntrypoint {
  async send(body, opts) {
    const seen = { jobId: body?.request?.jobId ?? null, chain: body?.chain ?? null, chunk: body?.chunk ?? null, attempts: body?.attempts ?? null, delaySeconds: opts?.delaySeconds ?? 0 };
    if (plan.fail > 0) {
      plan.fail--;
      sent.push({ ...seen, outcome: "failed" });
      throw new Error("Queue send failed: Too Many Requests");
    }
    if (plan.drop > 0) {
      plan.drop--;
      sent.push({ ...seen, outcome: "dropped", body });
      return;
    }
    sent.push({ ...seen, outcome: "sent", body });
    await this.env.REAL.send(body, opts);
  }
}
export default {
  async fetch(request) {
    if (request.method === "POST") Object.assign(plan, await request.json());
    return Response.json({ plan, sent });
  },
};
`;

export async function startQueueWorker({ outdir, sim, vars = {}, stdio = [] }) {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(CONFIG);
  const { JOBS, ...producers } = workerOptions.queueProducers ?? {};
  if (!JOBS) throw new Error("wrangler.toml has no JOBS producer");
  const mf = new Miniflare({
    handleRuntimeStdio(stdout, stderr) {
      stdout.on("data", (d) => stdio.push(String(d)));
      stderr.on("data", (d) => stdio.push(String(d)));
    },
    workers: [
      {
        ...workerOptions,
        name: "portal-migrate",
        modules: true,
        scriptPath: path.join(outdir, "index.js"),
        modulesRoot: outdir,
        queueProducers: { ...producers, TEST_DLQ: { queueName: DEAD_LETTER_QUEUE } },
        serviceBindings: { ...workerOptions.serviceBindings, JOBS: { name: "flaky-queue", entrypoint: "FlakyQueue" } },
        bindings: {
          ...workerOptions.bindings,
          PORTAL_MIGRATE_CONFIG: JSON.stringify(sim.config()),
          ATLASSIAN_EMAIL: sim.credentials.email,
          ATLASSIAN_API_TOKEN: sim.credentials.apiToken,
          ...SECRETS,
          PORTAL_MIGRATE_CHUNK_MS: "6000",
          ...vars,
        },
      },
      {
        name: "flaky-queue",
        modules: true,
        compatibilityDate: workerOptions.compatibilityDate,
        script: FLAKY_QUEUE,
        queueProducers: { REAL: { queueName: JOBS_QUEUE } },
      },
    ],
  });
  await mf.ready;
  const flaky = await mf.getWorker("flaky-queue");
  const main = await mf.getWorker();
  return {
    mf,
    /** Sets how many of the next sends fail or are lost; answers every send so far. */
    async queue(plan) {
      const res = await flaky.fetch("http://flaky/", plan ? { method: "POST", body: JSON.stringify(plan) } : undefined);
      return res.json();
    },
    /** Delivers `body` straight to the Worker's queue handler, as the broker does. */
    deliver(body, { queue = JOBS_QUEUE, attempts = 1 } = {}) {
      return main.queue(queue, [{ id: `m-${Math.random().toString(16).slice(2)}`, timestamp: new Date(), body, attempts }]);
    },
    /** Runs the cron trigger. */
    sweep() {
      return main.scheduled({ cron: workerOptions.triggers?.crons?.[0] ?? "*/10 * * * *", scheduledTime: new Date() });
    },
    /** The site's JournalDO, for reading host records. */
    async journal() {
      const ns = await mf.getDurableObjectNamespace("JOURNAL");
      return ns.get(ns.idFromName(new URL(sim.config().siteUrl).host));
    },
  };
}
