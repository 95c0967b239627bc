import { describe, expect, it } from "vitest";
import { parseSaslHandshakeResponse, saslHandshakeRequest } from "../src/sasl-mechanisms.ts";

/** A SaslHandshake response frame: correlation id, error code, the mechanisms. */
function response(mechanisms: readonly string[], errorCode = 33): Buffer {
  const parts = mechanisms.map((m) => {
    const b = Buffer.alloc(2 + Buffer.byteLength(m));
    b.writeInt16BE(Buffer.byteLength(m));
    b.write(m, 2);
    return b;
  });
  const head = Buffer.alloc(10);
  head.writeInt32BE(1, 0);
  head.writeInt16BE(errorCode, 4);
  head.writeInt32BE(mechanisms.length, 6);
  const body = Buffer.concat([head, ...parts]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

describe("SaslHandshake", () => {
  it("reads the enabled mechanisms only once the whole frame is there, cut at every byte", () => {
    const frame = response(["SCRAM-SHA-512", "PLAIN"]);
    for (let cut = 0; cut < frame.length; cut++)
      expect(parseSaslHandshakeResponse(frame.subarray(0, cut)), `cut at ${cut}`).toBeUndefined();
    expect(parseSaslHandshakeResponse(frame)).toEqual(["SCRAM-SHA-512", "PLAIN"]);
    expect(parseSaslHandshakeResponse(response([], 0))).toEqual([]);
  });

  it("asks with api key 17, version 1, a client id and the mechanism", () => {
    const req = saslHandshakeRequest("GSSAPI", "probe");
    expect(req.readInt32BE(0)).toBe(req.length - 4);
    expect([req.readInt16BE(4), req.readInt16BE(6)]).toEqual([17, 1]);
    expect(req.subarray(12).toString("latin1")).toBe("\u0000\u0005probe\u0000\u0006GSSAPI");
  });
});
