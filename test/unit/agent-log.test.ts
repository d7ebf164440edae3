import { describe, expect, it } from "vitest";
import { createLogger, formatLine } from "../../src/agent/log.js";

const at = new Date("2026-01-02T03:04:05.678Z");

describe("log", () => {
  it("writes logfmt-style text, quoting values that need it", () => {
    expect(formatLine("text", at, "info", "peers changed", { added: 1, changes: "+b -c", ok: true, none: undefined })).toBe(
      '2026-01-02T03:04:05.678Z info  peers changed added=1 changes="+b -c" ok=true',
    );
  });

  it("writes one JSON object per line", () => {
    expect(JSON.parse(formatLine("json", at, "warn", "directory unreachable", { error: "ECONNREFUSED" }))).toEqual({
      time: "2026-01-02T03:04:05.678Z",
      level: "warn",
      msg: "directory unreachable",
      error: "ECONNREFUSED",
    });
  });

  it("drops lines below the level", () => {
    const lines: string[] = [];
    const log = createLogger({ format: "text", level: "info", write: (l) => lines.push(l), now: () => at });
    log.debug("renewed");
    log.info("registered");
    log.error("rejected");
    expect(lines).toEqual(["2026-01-02T03:04:05.678Z info  registered", "2026-01-02T03:04:05.678Z error rejected"]);
  });
});
