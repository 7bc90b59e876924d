// Validates the Argo Rollouts resources of deploy/kubernetes against their CRD schemas
// (the npm package @kubernetes-models/argo-rollouts), offline.
//
//   npm ci && node validate-crds.mjs [file.yaml ...]
//
// Without arguments it checks every argoproj.io document under deploy/kubernetes. It
// first proves the validator rejects a broken Rollout, so a validator that accepts
// everything cannot pass. Prints one JSON line per document; exits 1 on any failure.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import * as argo from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1";

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);

function yamlFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules") return [];
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function check(object) {
  const Model = argo[object.kind];
  if (!Model) throw new Error(`no Argo Rollouts model for kind ${object.kind}`);
  new Model(object).validate();
}

// The validator must refuse a Rollout whose fields have the wrong types.
let selfTest = false;
try {
  check({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Rollout",
    metadata: { name: "broken" },
    spec: { replicas: "three", strategy: { blueGreen: { autoPromotionEnabled: "no" } } },
  });
} catch {
  selfTest = true;
}
if (!selfTest) {
  console.log(JSON.stringify({ selfTest: "failed: a broken Rollout was accepted" }));
  process.exit(1);
}

const files = process.argv.length > 2 ? process.argv.slice(2) : yamlFiles(root);
let failures = 0;
let checked = 0;
for (const file of files) {
  for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (document.errors.length) {
      failures += 1;
      console.log(JSON.stringify({ file, error: document.errors[0].message }));
      continue;
    }
    const object = document.toJS();
    if (!object || !String(object.apiVersion || "").startsWith("argoproj.io/")) continue;
    const name = `${relative(root, file)}: ${object.kind}/${object.metadata?.name}`;
    try {
      check(object);
      checked += 1;
      console.log(JSON.stringify({ ok: name }));
    } catch (error) {
      failures += 1;
      console.log(JSON.stringify({ failed: name, error: String(error.message || error) }));
    }
  }
}
console.log(JSON.stringify({ checked, failures }));
process.exit(failures || !checked ? 1 : 0);
