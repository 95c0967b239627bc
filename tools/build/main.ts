// `pnpm build` runs this in each app (`tsx ../../tools/build/main.ts`): bundles the app in the
// current directory into the executable its package.json's `bin` names (tools/build/bundle.ts).
import { relative } from "node:path";
import { BuildError, bundleApp } from "./bundle.ts";

const started = performance.now();
try {
  const app = await bundleApp(process.cwd());
  const ms = Math.round(performance.now() - started);
  process.stdout.write(
    `${app.bin}: ${relative(process.cwd(), app.outfile)} (${Math.round(app.bytes / 1024)} KiB, ${ms} ms); ` +
      `npm packages from node_modules: ${app.externals.join(", ")}\n`,
  );
} catch (error) {
  if (!(error instanceof BuildError)) throw error;
  process.stderr.write(`build: ${error.message}\n`);
  process.exitCode = 1;
}
