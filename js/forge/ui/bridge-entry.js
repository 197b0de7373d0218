// The only part of @forge/bridge the pages use. js/forge/ui/build.js bundles this file into each
// page's bridge.js (an ES module); the browser test serves a stub in its place.
export { invoke, view, events } from "@forge/bridge";
