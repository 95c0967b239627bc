import js from "@eslint/js";
import tseslint from "typescript-eslint";
import importX, { createNodeResolver } from "eslint-plugin-import-x";

export default tseslint.config(
  { ignores: ["**/node_modules/**", ".stack/**", "tools/kafka/target/**", "**/dist/**"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "import-x": importX },
    settings: {
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".js"] })],
    },
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true },
      ],
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        { allowNumber: true, allowBoolean: true },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-default-export": "error",
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@georep/*/src/*", "@georep/*/src", "**/packages/*/src/*", "**/apps/*/src/*"],
              message:
                "Import another package through its public entry (`@georep/x` or `@georep/x/testing`).",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["packages/**/*.ts"],
    rules: { "no-console": "error" },
  },
  {
    files: ["packages/crdt/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: ["pg", "pg-logical-replication", "kafkajs", "ioredis"].map((name) => ({
            name,
            message: "The CRDT core does no I/O: it imports neither PostgreSQL, Kafka nor Redis.",
          })),
          patterns: [
            {
              group: ["@georep/*", "!@georep/crdt"],
              message: "The CRDT core depends on no other georep package.",
            },
          ],
        },
      ],
    },
  },
  {
    // The reader's layers point one way (packages/reader/src/index.ts draws them): postgres/ ←
    // ledger.ts, sink.ts, errors.ts ← slice/ ← prepare/ | stream/ ← reader.ts.
    files: ["packages/reader/src/**/*.ts"],
    rules: {
      "import-x/no-restricted-paths": [
        "error",
        {
          basePath: `${import.meta.dirname}/packages/reader/src`,
          zones: [
            ["postgres", ["slice", "prepare", "stream", "ledger.ts", "sink.ts", "reader.ts"]],
            [
              "{ledger,sink,errors}.ts",
              ["slice", "prepare", "stream", "reader.ts", "reader-types.ts"],
            ],
            ["slice", ["prepare", "stream", "ledger.ts", "reader.ts", "reader-types.ts"]],
            ["prepare", ["stream", "reader.ts"]],
            ["stream", ["prepare", "reader.ts"]],
          ].map(([target, from]) => ({
            target,
            from,
            message: "The reader's layers point one way: see packages/reader/src/index.ts.",
          })),
        },
      ],
    },
  },
  {
    files: ["eslint.config.js", "vitest.config.ts"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Tools require a default export from their config files.
    files: ["eslint.config.js", "vitest.config.ts"],
    rules: { "import-x/no-default-export": "off" },
  },
);
