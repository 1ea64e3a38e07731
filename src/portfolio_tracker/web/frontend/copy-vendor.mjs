// Copies the built files of the pinned front-end packages (package-lock.json) into
// ../static/vendor/, which the app serves at /static/vendor/. Run by `make install`
// after `npm ci`; the copies are git-ignored, so no third-party code is committed.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "..", "static", "vendor");
const files = [
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["htmx.org/LICENSE", "htmx.LICENSE.txt"],
  ["uplot/dist/uPlot.iife.min.js", "uPlot.iife.min.js"],
  ["uplot/dist/uPlot.min.css", "uPlot.min.css"],
  ["uplot/LICENSE", "uPlot.LICENSE.txt"],
];

mkdirSync(target, { recursive: true });
const versions = {};
for (const [from, to] of files) {
  copyFileSync(join(here, "node_modules", from), join(target, to));
  const name = from.split("/")[0];
  versions[name] ??= JSON.parse(
    readFileSync(join(here, "node_modules", name, "package.json"), "utf8"),
  ).version;
}
writeFileSync(join(target, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
console.log(`vendor: copied ${files.length} files into ${target}`, versions);
