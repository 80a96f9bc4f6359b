import { defineConfig } from "vite";

// The broker serves index.html at / and everything else under /console/ (see ConsoleRoute), so every asset URL
// starts with /console/. The Maven build passes --outDir (the broker's classes directory, under console/).
export default defineConfig({
  base: "/console/",
  // The output directory is outside this folder, which Vite otherwise refuses to empty before a build.
  build: { emptyOutDir: true },
});
