import { defineConfig } from "vitest/config";

// The browser tests (e2e/): headless Chromium against the running stack,
// started by tests/test_web_e2e.py (WEB_URL, CHROMIUM_PATH).
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
