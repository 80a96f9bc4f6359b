// End-to-end test of the web console in headless Chromium, driven by Playwright (playwright-core, with the
// system's Chromium: no browser is downloaded). ConsoleBrowserTest (broker-cluster) starts a node and runs
//   node e2e/console-e2e.mjs BROKER_URL SCREENSHOT_DIR
// Each check prints "ok: ..."; the last line is "console-e2e: all N checks passed", and the exit code is 0 only
// when every check passed. A failure prints "FAILED: ..." and leaves failure.png beside the other screenshots.
//
// Environment: RUNNEL_CHROMIUM (default /usr/bin/chromium); RUNNEL_E2E_GROUP, a group with a live member that the
// caller keeps running, whose members and assignment the group page must show; RUNNEL_E2E_COMPRESSED_TOPIC, a
// one-partition topic holding a gzip batch of records gzip-0..gzip-4 and then an lz4 batch of 3 records.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [base, shots = "e2e-output"] = process.argv.slice(2);
if (!base) {
  console.error("usage: node e2e/console-e2e.mjs BROKER_URL [SCREENSHOT_DIR]");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const topic = `console-e2e-${Date.now()}`;
const lagGroup = `${topic}-lag`;
const memberGroup = process.env.RUNNEL_E2E_GROUP;
const compressedTopic = process.env.RUNNEL_E2E_COMPRESSED_TOPIC;
const WAIT = 20_000;
let passed = 0;

function ok(what) {
  passed++;
  console.log(`ok: ${what}`);
}

function check(condition, what) {
  if (!condition) throw new Error(what);
  ok(what);
}

async function http(method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Produces one record every few milliseconds over the HTTP API until stopped; counts what the broker stored. */
function startProducing() {
  const producer = { stored: 0, running: true, done: null };
  producer.done = (async () => {
    while (producer.running) {
      const answer = await http("POST", `/topics/${topic}/records`,
        { records: [{ key: `k${producer.stored}`, value: `record ${producer.stored}` }] });
      producer.stored += answer.offsets.length;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  producer.stop = async () => {
    producer.running = false;
    await producer.done;
  };
  return producer;
}

async function numberOf(page, selector, attribute) {
  return Number(await page.getAttribute(selector, attribute));
}

async function waitFor(description, condition, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const browser = await chromium.launch({
  executablePath: process.env.RUNNEL_CHROMIUM ?? "/usr/bin/chromium",
  // As root in a container Chromium needs --no-sandbox; the rest keeps it off the (closed) network.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));
let producer = null;
try {
  await page.goto(`${base}/`);
  await page.waitForSelector("[data-testid=cluster-members] td");
  check((await page.textContent("[data-testid=cluster-members]")).includes("Up"), "the cluster page shows an Up member");
  await page.screenshot({ path: join(shots, "cluster.png"), fullPage: true });

  await page.click("a[href='#/topics']");
  await page.fill("[data-testid=new-topic-name]", "bad name!");
  await page.click("[data-testid=create-topic]");
  await page.waitForSelector("[data-testid=create-topic-error]:not([hidden])");
  const badName = await page.textContent("[data-testid=create-topic-error]");
  check(badName.startsWith("INVALID_TOPIC_EXCEPTION:"), `a bad topic name shows the broker's error (${badName})`);
  await page.screenshot({ path: join(shots, "bad-topic-name.png"), fullPage: true });

  await page.fill("[data-testid=new-topic-name]", topic);
  await page.fill("[data-testid=new-topic-partitions]", "2");
  await page.click("[data-testid=create-topic]");
  await page.waitForSelector(`[data-testid=create-topic-result] a`);
  await page.waitForSelector(`[data-testid=topics] >> text=${topic}`);
  ok("a topic created in the console is listed");

  await page.click(`[data-testid=create-topic-result] a`);
  await page.waitForSelector("[data-testid=partitions] tbody tr:nth-child(2)");
  ok("the topic page lists its two partitions");

  await page.fill("[data-testid=config-overrides]", "retention.ms=abc");
  await page.click("[data-testid=save-configs]");
  await page.waitForSelector("[data-testid=configs-error]:not([hidden])");
  const badConfig = await page.textContent("[data-testid=configs-error]");
  check(badConfig.startsWith("INVALID_CONFIG:"), `a bad config value shows the broker's error (${badConfig})`);
  await page.fill("[data-testid=config-overrides]", "retention.ms=3600000");
  await page.click("[data-testid=save-configs]");
  await page.waitForSelector("[data-testid=configs-result]:has-text('Saved')");
  await waitFor("retention.ms to show as set on the topic", async () =>
    (await page.textContent("[data-testid=configs]")).includes("3600000"));
  ok("a config changed in the console is shown as set on the topic");

  await page.click("[data-testid=tail-start]");
  await page.waitForSelector("[data-testid=tail-status][data-flow=flowing]");
  producer = startProducing();
  await waitFor("the live tail to show 20 records", async () =>
    (await numberOf(page, "[data-testid=tail-stats]", "data-received")) >= 20);
  ok("the live tail shows records as they are produced");
  await page.screenshot({ path: join(shots, "tail-flowing.png"), fullPage: true });

  await page.click("[data-testid=tail-pause]");
  await page.waitForSelector("[data-testid=tail-status][data-flow=paused]");
  const atPause = await numberOf(page, "[data-testid=tail-stats]", "data-received");
  const producedAtPause = producer.stored;
  await waitFor("30 more records to be produced", async () => producer.stored >= producedAtPause + 30);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const whilePaused = await numberOf(page, "[data-testid=tail-stats]", "data-received");
  check(whilePaused === atPause,
    `paused, the tail stays at ${atPause} records while ${producer.stored - producedAtPause} more were produced`);
  await page.screenshot({ path: join(shots, "tail-paused.png"), fullPage: true });

  await page.click("[data-testid=tail-pause]");
  await waitFor("more records after resuming", async () =>
    (await numberOf(page, "[data-testid=tail-stats]", "data-received")) > atPause);
  await producer.stop();
  const produced = producer.stored;
  await waitFor(`the tail to reach all ${produced} records`, async () =>
    (await numberOf(page, "[data-testid=tail-stats]", "data-received")) >= produced);
  const received = await numberOf(page, "[data-testid=tail-stats]", "data-received");
  const gaps = await numberOf(page, "[data-testid=tail-stats]", "data-gaps");
  check(received === produced && gaps === 0,
    `resumed, the tail has every one of the ${produced} records produced, with no offset missed (${received}, ${gaps})`);
  await page.screenshot({ path: join(shots, "tail-resumed.png"), fullPage: true });

  // Lag: the group starts at the log start (lag = every record), falls behind as more are produced, then is reset
  // to the log end in the console (lag 0).
  await http("POST", `/groups/${lagGroup}/offsets/reset`, { topic, to: "earliest" });
  await page.goto(`${base}/#/groups/${lagGroup}`);
  await waitFor(`the group's lag to be ${produced}`, async () =>
    (await numberOf(page, "[data-testid=group-lag]", "data-lag")) === produced);
  producer = startProducing();
  await waitFor("the lag to rise by 30", async () =>
    (await numberOf(page, "[data-testid=group-lag]", "data-lag")) >= produced + 30);
  await producer.stop();
  const top = produced + producer.stored;
  await waitFor(`the lag to reach ${top}`, async () =>
    (await numberOf(page, "[data-testid=group-lag]", "data-lag")) === top);
  await page.screenshot({ path: join(shots, "lag-risen.png"), fullPage: true });
  await page.fill("[data-testid=reset-topic]", topic);
  await page.selectOption("[data-testid=reset-to]", "latest");
  await page.click("[data-testid=reset-offsets]");
  await page.waitForSelector("[data-testid=reset-result]:has-text('Reset')");
  await waitFor("the lag to fall to 0", async () =>
    (await numberOf(page, "[data-testid=group-lag]", "data-lag")) === 0);
  const samples = JSON.parse(await page.getAttribute("[data-testid=lag-chart]", "data-samples"));
  const peak = samples.indexOf(Math.max(...samples));
  check(samples[0] === produced && samples[peak] === top && samples[samples.length - 1] === 0 && peak > 0,
    `the lag chart rises from ${produced} to ${top} and falls to 0 (${samples.length} samples)`);
  check((await page.locator("[data-testid=lag-chart] canvas").count()) === 1, "the lag chart is drawn");
  await page.screenshot({ path: join(shots, "lag-fallen.png"), fullPage: true });

  if (memberGroup) {
    await page.goto(`${base}/#/groups/${memberGroup}`);
    await page.waitForSelector("[data-testid=group-members] td");
    const member = (await page.innerText("[data-testid=group-members] tbody tr")).split("\t");
    check(member.length === 5 && /-\d+$/.test(member[4]),
      `the group page shows the live member and its assignment (${member.join(" | ")})`);
    await page.fill("[data-testid=reset-topic]", (await page.textContent("[data-testid=group-partitions] tbody td")).trim());
    await page.click("[data-testid=reset-offsets]");
    await page.waitForSelector("[data-testid=reset-error]:not([hidden])");
    const refused = await page.textContent("[data-testid=reset-error]");
    check(refused.startsWith("NON_EMPTY_GROUP:"), `a reset of a group with members shows the broker's error (${refused})`);
    await page.screenshot({ path: join(shots, "group-members.png"), fullPage: true });
  }
  if (compressedTopic) {
    await page.goto(`${base}/#/topics/${compressedTopic}`);
    await page.waitForSelector("[data-testid=partitions] tbody tr");
    await page.selectOption("[data-testid=tail-from]", "earliest");
    await page.click("[data-testid=tail-start]");
    await waitFor("the tail to read the 8 compressed records", async () =>
      (await numberOf(page, "[data-testid=tail-stats]", "data-received")) === 8);
    const shown = await page.innerText("[data-testid=tail-records]");
    const stats = await page.innerText("[data-testid=tail-stats]");
    check([0, 1, 2, 3, 4].every((i) => shown.includes(`gzip-${i}`)) && !shown.includes("lz4-")
      && stats.includes("3 records in batches the browser cannot decompress")
      && (await numberOf(page, "[data-testid=tail-stats]", "data-gaps")) === 0,
      "the tail shows the records of a gzip batch and counts those of an lz4 batch");
    await page.screenshot({ path: join(shots, "tail-compressed.png"), fullPage: true });
  }
  check(pageErrors.length === 0, `no script error in the page ${JSON.stringify(pageErrors)}`);
  console.log(`console-e2e: all ${passed} checks passed`);
} catch (e) {
  console.log(`FAILED: ${e.message}`);
  await page.screenshot({ path: join(shots, "failure.png"), fullPage: true }).catch(() => {});
  console.log(`console-e2e: failed after ${passed} checks passed`);
  process.exitCode = 1;
} finally {
  if (producer !== null) await producer.stop().catch(() => {});
  await browser.close();
}
