// Node-side tests run the built artefacts (the agent bin, the Worker bundle), so build them once.
import { execFileSync } from "node:child_process";

export default function setup() {
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
}
