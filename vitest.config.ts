import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests each start their own moto and spawn the CLI; two cores, so keep it modest.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Any skipped or todo test fails the run: a skipped test proves nothing.
    allowOnly: false,
  },
});
