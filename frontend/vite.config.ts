/// <reference types="vitest" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The gateway the dev server proxies to (dev.env: API_GATEWAY_PORT, 8000).
const gateway = `http://127.0.0.1:${process.env.API_GATEWAY_PORT ?? "8000"}`;
const port = Number(process.env.WEB_APP_PORT ?? "5173");

export default defineConfig({
  plugins: [react()],
  server: {
    host: "127.0.0.1",
    port,
    strictPort: true,
    proxy: {
      "/api": { target: gateway, changeOrigin: false },
      "/media": { target: gateway, changeOrigin: false },
      "/ws": { target: gateway.replace(/^http/, "ws"), ws: true, changeOrigin: false },
    },
  },
  build: { sourcemap: true },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    restoreMocks: true,
  },
});
