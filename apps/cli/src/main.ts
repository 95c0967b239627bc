#!/usr/bin/env -S npx tsx
import { runProgram } from "@georep/command-line";
import { exitCodes } from "./exit-codes.ts";
import { georepProgram } from "./program.ts";

await runProgram(georepProgram(), process.argv.slice(2), { failureExitCode: exitCodes.failed });
