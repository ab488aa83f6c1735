// Checks the bundled demo run written by tools/train_demo.py, independently of Python:
// - the hub-cache layout (refs hold 40-hex commit ids without newline, snapshot files are relative
//   symlinks into blobs/, blob names are the content's sha256 (model.safetensors) or git blob sha1);
// - every model.safetensors parses (header length, 8-byte padding, contiguous F16 data ending at the
//   end of the file, all values finite);
// - @huggingface/tokenizers loads tokenizer.json + tokenizer_config.json, encodes the probe text to
//   exactly the ids the Python encoder produced (count and sha256 from the training log), and
//   encode/decode round-trips text.
// Run: node tools/check_demo.mjs [resources/demo]
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const demoDir = path.resolve(process.argv[2] ?? "resources/demo");
const probeText = fs.readFileSync(path.resolve("resources/probe/default.txt"), "utf8");
const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");
const gitSha1 = (buf) => createHash("sha1").update(Buffer.concat([Buffer.from(`blob ${buf.length}\0`), buf])).digest("hex");
function fail(msg) {
  console.error(`check_demo: ${msg}`);
  process.exit(1);
}

function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function checkSafetensors(file) {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  if (n % 8 !== 0) fail(`${file}: header length ${n} not a multiple of 8`);
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
  if (header.__metadata__?.format !== "pt") fail(`${file}: __metadata__.format is not "pt"`);
  const dataStart = 8 + n;
  let pos = 0;
  let numel = 0;
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const [begin, end] = info.data_offsets;
    const count = info.shape.reduce((a, b) => a * b, 1);
    if (info.dtype !== "F16" || begin !== pos || end - begin !== count * 2) fail(`${file}: ${name} bad entry`);
    for (let i = 0; i < count; i++) {
      if (!Number.isFinite(halfToFloat(buf.readUInt16LE(dataStart + begin + 2 * i)))) fail(`${file}: ${name} not finite`);
    }
    numel += count;
    pos = end;
  }
  if (dataStart + pos !== buf.length) fail(`${file}: data ends at ${dataStart + pos}, file has ${buf.length} bytes`);
  return numel;
}

const hubDir = path.join(demoDir, "hub");
let checkedTokenizer = false;
for (const repoDir of fs.readdirSync(hubDir).filter((d) => d.startsWith("models--")).sort()) {
  const root = path.join(hubDir, repoDir);
  const name = repoDir.split("--").slice(2).join("--");
  const log = JSON.parse(fs.readFileSync(path.join(demoDir, "hub", `models--atlas--${name}`, "training_log.json"), "utf8"));
  const refs = fs.readdirSync(path.join(root, "refs"));
  let paramCount = -1;
  for (const ref of refs) {
    const commit = fs.readFileSync(path.join(root, "refs", ref), "utf8");
    if (!/^[0-9a-f]{40}$/.test(commit)) fail(`${root}/refs/${ref}: not a 40-hex commit id without newline`);
    const snap = path.join(root, "snapshots", commit);
    for (const f of fs.readdirSync(snap)) {
      const p = path.join(snap, f);
      const target = fs.readlinkSync(p);
      if (path.isAbsolute(target) || !target.startsWith("../../blobs/")) fail(`${p}: symlink target ${target} not relative into blobs/`);
      const content = fs.readFileSync(p);
      const want = f === "model.safetensors" ? sha256(content) : gitSha1(content);
      if (path.basename(target) !== want) fail(`${p}: blob name is not the content hash`);
    }
    const numel = checkSafetensors(path.join(snap, "model.safetensors"));
    if (paramCount >= 0 && numel !== paramCount) fail(`${snap}: ${numel} parameters, other revisions ${paramCount}`);
    paramCount = numel;
  }
  const steps = log.log_history.map((e) => e.step);
  for (const e of log.log_history) {
    if (fs.readFileSync(path.join(root, "refs", `step${e.step}`), "utf8") !== e.commit) fail(`${root}: refs/step${e.step} != log`);
  }
  const main = fs.readFileSync(path.join(root, "refs", "main"), "utf8");
  if (main !== log.log_history.at(-1).commit) fail(`${root}: refs/main is not the last step`);
  if (paramCount !== log.parameters) fail(`${root}: ${paramCount} parameters in files, log says ${log.parameters}`);
  if (steps.length < 32) fail(`${root}: only ${steps.length} checkpoints`);
  console.log(`${name}: ${refs.length} refs (${steps.length} steps ${steps[0]}..${steps.at(-1)} + main), ${paramCount} parameters per checkpoint, blobs ${fs.readdirSync(path.join(root, "blobs")).length}`);

  if (!checkedTokenizer) {
    const snap = path.join(root, "snapshots", main);
    const tokenizer = new Tokenizer(
      JSON.parse(fs.readFileSync(path.join(snap, "tokenizer.json"), "utf8")),
      JSON.parse(fs.readFileSync(path.join(snap, "tokenizer_config.json"), "utf8")),
    );
    const ids = tokenizer.encode(probeText).ids;
    const expected = log.training.source.tokenizer;
    if (ids.length !== expected.probe_tokens || sha256(ids.join(",")) !== expected.probe_ids_sha256) {
      fail(`tokenizer: @huggingface/tokenizers gives ${ids.length} ids for the probe text, Python ${expected.probe_tokens} (or different ids)`);
    }
    if (tokenizer.decode(ids) !== probeText) fail("tokenizer: probe text does not round-trip");
    const sample = "Hello  world!\n\n  It's 1911; the CYNIC's word-book\t(2nd ed.) _italic_ ~ {x}\n";
    const sampleIds = tokenizer.encode(sample).ids;
    if (tokenizer.decode(sampleIds) !== sample) fail("tokenizer: sample text does not round-trip");
    if (tokenizer.token_to_id("<|endoftext|>") !== 0 || tokenizer.token_to_id("<|padding|>") !== 1 || tokenizer.token_to_id("!") !== 2 + 0x21) {
      fail("tokenizer: special/byte ids not in Pythia order");
    }
    console.log(`tokenizer: probe text -> ${ids.length} ids identical to Python's; round-trips; first ids ${ids.slice(0, 8).join(",")}`);
    checkedTokenizer = true;
  }
}
console.log("check_demo: OK");
