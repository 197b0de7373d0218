// Cold start under workerd (run by bench/scenarios/s4-coldstart.js through Miniflare). As in
// js/core/worker.js, the .wasm import is a WebAssembly.Module compiled when the Worker loads;
// instantiating it is what a request pays for.
//   GET /noop  nothing (warms the request path)
//   GET /init  glue.initSync({module}) timed (workerd's clock has 1 ms resolution), then 20
//              re-instantiations (glue.__wbg_reset_state) timed together for a finer mean
import wasmModule from "../../js/pkg/portal_migrate_bg.wasm";
import * as glue from "../../js/pkg/portal_migrate.js";

const REPEAT = 20;

export default {
  async fetch(request) {
    if (new URL(request.url).pathname === "/noop") return Response.json({ ok: true });
    const t0 = performance.now();
    glue.initSync({ module: wasmModule });
    const firstMs = performance.now() - t0;
    let reinstantiateMs = null;
    if (typeof glue.__wbg_reset_state === "function") {
      const t1 = performance.now();
      for (let i = 0; i < REPEAT; i++) glue.__wbg_reset_state();
      reinstantiateMs = (performance.now() - t1) / REPEAT;
    }
    return Response.json({ firstMs, reinstantiateMs, version: glue.version() });
  },
};
