// Forge entry point: manifest.yml's function handlers are `forge.<export>` (this file, under src/
// where Forge resolves handlers). Everything lives in js/forge; this only wires the real Forge
// platform adapter and the wasm core (inlined as base64: Forge's bundler cannot import .wasm, so
// run `npm run build` before `forge deploy`).
import * as core from "../js/core/forge.js";
import { createHandlers } from "../js/forge/handlers.js";
import { forgePlatform } from "../js/forge/platform.js";
import { createResolver } from "../js/forge/resolver.js";

const platform = forgePlatform();
const handlers = createHandlers({ platform, core });

export const onIssueUpdated = handlers.onIssueUpdated;
export const postFunction = handlers.postFunction;
export const automationAction = handlers.automationAction;
export const webTrigger = handlers.webTrigger;
export const queueConsumer = handlers.queueConsumer;
export const sweeper = handlers.sweeper;
/** The admin page's resolver (@forge/resolver definitions). */
export const adminResolver = createResolver({ platform, core });
