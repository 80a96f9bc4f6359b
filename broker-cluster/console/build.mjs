// The Maven build's step for the console (broker-cluster/pom.xml runs `node build.mjs OUT_DIR` before the
// resources are packaged): installs the npm packages of package-lock.json when node_modules is missing or older
// than the lock (npm ci, from npm's cache when it holds them), then type-checks and builds the page into OUT_DIR,
// which the broker serves. Nothing is done when OUT_DIR is newer than every input, so builds after the first cost
// nothing here. Output without colours: the launcher shows build lines as they come.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, "dist"));
const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", npm_config_color: "false" };

// Vite 8's floor (its package.json "engines"): an older Node.js fails deep inside the build, so say it here.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 19) || (major === 22 && minor < 12)) {
  console.error(`console: Node.js ${process.versions.node} is too old to build the console: it needs 20.19 or later ` +
    "(or build with -Dconsole.skip, leaving the console out)");
  process.exit(1);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: here, env, stdio: "inherit" });
  if (result.error) {
    console.error(`console: cannot run ${command}: ${result.error.message} (the console's build needs Node.js 20 and npm)`);
    process.exit(1);
  }
  if (result.status !== 0) {
    console.error(`console: ${command} ${args.join(" ")} failed with exit code ${result.status}`);
    process.exit(result.status ?? 1);
  }
}

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const lock = join(here, "package-lock.json");
const installed = join(here, "node_modules", ".package-lock.json");
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.log("console: installing npm packages (npm ci)");
  run("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"]);
}

const inputs = ["src", "index.html", "package-lock.json", "tsconfig.json", "vite.config.ts", "build.mjs"];
const built = join(out, "index.html");
if (existsSync(built) && statSync(built).mtimeMs > Math.max(...inputs.map((i) => newest(join(here, i))))) {
  console.log(`console: up to date in ${out}`);
  process.exit(0);
}
console.log(`console: building into ${out}`);
run(join(here, "node_modules", ".bin", "tsc"), ["--noEmit"]);
run(join(here, "node_modules", ".bin", "vite"), ["build", "--outDir", out, "--logLevel", "warn"]);
