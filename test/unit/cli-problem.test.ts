// How the `peerdir` CLI reports a refusal: one line from the problem+json, whatever the
// directory (or something in front of it) answered.
import { describe, expect, it } from "vitest";
import { problemFrom } from "../../src/contract/admin-client.js";
import { formatProblem } from "../../src/cli/problem.js";

describe("formatProblem", () => {
  it("prints title, status and detail on one line", () => {
    expect(formatProblem({ type: "urn:peerdir:problem:conflict", title: "Conflict", status: 409, detail: 'cluster "prod" already exists' })).toBe(
      'peerdir: Conflict (409): cluster "prod" already exists',
    );
  });

  it("does not repeat field errors the detail already names", () => {
    const line = formatProblem({
      type: "urn:peerdir:problem:bad-request",
      title: "Bad request",
      status: 400,
      detail: "invalid body: /reason: say why: a reason is required",
      errors: [{ pointer: "/reason", detail: "say why: a reason is required" }],
    });
    expect(line).toBe("peerdir: Bad request (400): invalid body: /reason: say why: a reason is required");
  });

  it("appends field errors the detail does not name", () => {
    const line = formatProblem({
      type: "urn:peerdir:problem:bad-request",
      title: "Bad request",
      status: 400,
      detail: "the TTL bounds must keep min <= default <= max",
      errors: [
        { pointer: "/defaultTtlSeconds", detail: "must lie between minTtlSeconds and maxTtlSeconds" },
        { pointer: "", detail: "whole body" },
      ],
    });
    expect(line).toBe(
      "peerdir: Bad request (400): the TTL bounds must keep min <= default <= max; /defaultTtlSeconds: must lie between minTtlSeconds and maxTtlSeconds; /: whole body",
    );
    expect(line.includes("\n")).toBe(false);
  });

  it("points at the token setting on 401", () => {
    expect(formatProblem({ type: "x", title: "Unauthorized", status: 401, detail: "the token is not an admin token" })).toBe(
      "peerdir: Unauthorized (401): the token is not an admin token (check PEERDIR_ADMIN_TOKEN or --token-file)",
    );
  });

  it("keeps echoed input from breaking the line or reaching the terminal as escapes", () => {
    const line = formatProblem({ type: "x", title: "Forbidden", status: 403, detail: "blocked: evil\n\u001b[2Jreason" });
    expect(line).toBe("peerdir: Forbidden (403): blocked: evil\\n\\x1b[2Jreason");
  });
});

describe("problemFrom", () => {
  it("takes a problem+json body as it is", () => {
    const body = JSON.stringify({ type: "urn:peerdir:problem:not-found", title: "Not found", status: 404, detail: 'no cluster "x"' });
    expect(problemFrom(404, "Not Found", body)).toEqual({ type: "urn:peerdir:problem:not-found", title: "Not found", status: 404, detail: 'no cluster "x"' });
  });

  it("keeps the field errors of a 400", () => {
    const body = JSON.stringify({ type: "t", title: "Bad request", status: 400, detail: "d", errors: [{ pointer: "/addrs/0", detail: "bad" }] });
    expect(problemFrom(400, "Bad Request", body).errors).toEqual([{ pointer: "/addrs/0", detail: "bad" }]);
  });

  it("describes an answer that is not problem+json, e.g. a proxy's error page", () => {
    const p = problemFrom(502, "Bad Gateway", "<html>\n  <body>upstream down</body>\n</html>");
    expect(p).toEqual({ type: "about:blank", title: "Bad Gateway", status: 502, detail: "not an answer from a peerdir directory: <html> <body>upstream down</body> </html>" });
    expect(problemFrom(503, "", "")).toMatchObject({ title: "HTTP error", status: 503, detail: "the directory gave no details" });
    expect(problemFrom(500, "Internal", JSON.stringify({ error: "x" })).detail).toMatch(/^not an answer from a peerdir directory/);
  });
});
