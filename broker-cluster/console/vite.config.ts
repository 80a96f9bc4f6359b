import { defineConfig } from "vite";

// The broker serves index.html at / and everything else under /console/ (see ConsoleRoute), so every asset URL
// starts with /console/. The Maven build passes --outDir (the broker's classes directory, under console/).
export default defineConfig({
  base: "/console/",
  build: {
    emptyOutDir: true,
    assetsDir: "assets",
    chunkSizeWarningLimit: 300,
  },
});
