// What the audit trail may keep of flags and error messages: never a password or key.
import { describe, expect, it } from "vitest";
import { redactFlags, redactText } from "../src/redact.ts";

describe("redactText", () => {
  it.each([
    ["postgres://op:s3cret@db:5432/app", "postgres://op:[redacted]@db:5432/app"],
    [
      "connect postgres://op:p%40ss@db/app failed",
      "connect postgres://op:[redacted]@db/app failed",
    ],
    ["redis://:s3cret@cache:6379/0", "redis://:[redacted]@cache:6379/0"],
    [
      "host=db user=op password=s3cret dbname=app",
      "host=db user=op password=[redacted] dbname=app",
    ],
    ["sslpassword='a b' sslmode=verify-full", "sslpassword=[redacted] sslmode=verify-full"],
    ["https://x/y?token=abc&page=2", "https://x/y?token=[redacted]&page=2"],
    ["api_key=abc, region us-east", "api_key=[redacted], region us-east"],
  ])("%s", (given, kept) => {
    expect(redactText(given)).toBe(kept);
  });

  it("leaves text without secrets as it is", () => {
    for (const text of [
      "postgres://op@db:5432/app",
      "postgres://db:5432/app",
      "/tmp/us-east.json",
      "region 'eu-west' would leave us-east without a peer",
    ])
      expect(redactText(text)).toBe(text);
  });
});

describe("redactFlags", () => {
  it("drops the values of secret-looking names and cleans every string, nested", () => {
    expect(
      redactFlags({
        config: ["a.json", "postgres://op:s3cret@db/app"],
        password: "s3cret",
        sslKey: "/etc/key.pem",
        apiToken: ["a", "b"],
        nested: { dbPassword: "x", url: "kafka://u:pw@b:9092" },
        limit: 100,
        region: undefined,
      }),
    ).toEqual({
      config: ["a.json", "postgres://op:[redacted]@db/app"],
      password: "[redacted]",
      sslKey: "[redacted]",
      apiToken: "[redacted]",
      nested: { dbPassword: "[redacted]", url: "kafka://u:[redacted]@b:9092" },
      limit: 100,
      region: undefined,
    });
  });
});
