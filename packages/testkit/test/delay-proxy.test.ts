import { createConnection, createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DelayProxyError, startDelayProxy } from "../src/delay-proxy.ts";
import type { DelayProxy } from "../src/delay-proxy.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** An echo server that also answers "ping" with "pong" at once. */
async function echoServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("data", (d) => s.write(d));
    s.on("end", () => s.end());
  });
  await new Promise<void>((r) =>
    server.listen(0, "127.0.0.1", () => {
      r();
    }),
  );
  closers.push(
    () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          r();
        });
      }),
  );
  return (server.address() as AddressInfo).port;
}

async function proxy(targetPort: number, oneWayDelayMs: number): Promise<DelayProxy> {
  const p = await startDelayProxy({ targetPort, oneWayDelayMs });
  closers.push(() => p.close());
  return p;
}

const connect = (port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const s = createConnection({ host: "127.0.0.1", port }, () => {
      resolve(s);
    });
    s.once("error", reject);
    closers.push(() => {
      s.destroy();
      return Promise.resolve();
    });
  });

/** Reads until `bytes` arrived; resolves with them and when the last one came. */
const readBytes = (s: Socket, bytes: number): Promise<{ data: Buffer; at: number }> =>
  new Promise((resolve) => {
    const parts: Buffer[] = [];
    let got = 0;
    const on = (d: Buffer): void => {
      parts.push(d);
      got += d.length;
      if (got >= bytes) {
        s.off("data", on);
        resolve({ data: Buffer.concat(parts), at: performance.now() });
      }
    };
    s.on("data", on);
  });

describe("startDelayProxy", () => {
  it("adds the one-way delay in each direction: a round trip takes twice it", async () => {
    const p = await proxy(await echoServer(), 60);
    const s = await connect(p.port);
    const sent = performance.now();
    s.write("ping");
    const { data, at } = await readBytes(s, 4);
    expect(data.toString()).toBe("ping");
    expect(at - sent).toBeGreaterThanOrEqual(118);
    expect(at - sent).toBeLessThan(400);
  });

  it("keeps the order and the bytes of many small chunks, delayed once, not once per chunk", async () => {
    const p = await proxy(await echoServer(), 50);
    const s = await connect(p.port);
    const chunks = Array.from({ length: 2_000 }, (_v, i) => Buffer.from(`${i},`));
    const whole = Buffer.concat(chunks);
    const reading = readBytes(s, whole.length);
    const sent = performance.now();
    for (const c of chunks) s.write(c);
    const { data, at } = await reading;
    expect(data.equals(whole)).toBe(true);
    // 2,000 chunks each way: one delay per direction, not 2,000 (timers queued per chunk
    // behind each other, or a delay per write, would take seconds).
    expect(at - sent).toBeGreaterThanOrEqual(98);
    expect(at - sent).toBeLessThan(1_000);
  });

  it("carries a large transfer intact both ways", async () => {
    const p = await proxy(await echoServer(), 5);
    const s = await connect(p.port);
    const big = Buffer.alloc(20 * 1024 * 1024, 0);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    const reading = readBytes(s, big.length);
    s.write(big);
    expect((await reading).data.equals(big)).toBe(true);
  });

  it("delivers a side's end after its last data, and drops the pair once both sides closed", async () => {
    const p = await proxy(await echoServer(), 30);
    const s = await connect(p.port);
    const reading = readBytes(s, 5);
    const closed = new Promise<void>((r) =>
      s.once("close", () => {
        r();
      }),
    );
    s.end("hello");
    expect((await reading).data.toString()).toBe("hello");
    await closed;
    await expect.poll(() => p.connections()).toBe(0);
  });

  it("refuses bad options naming the field", async () => {
    await expect(startDelayProxy({ targetPort: 0, oneWayDelayMs: 10 })).rejects.toThrow(
      /targetPort must be the target's TCP port/,
    );
    await expect(startDelayProxy({ targetPort: 1, oneWayDelayMs: -1 })).rejects.toThrow(
      DelayProxyError,
    );
  });
});
