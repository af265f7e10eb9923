// Writes the objects scenario's Parquet files (scripts/bench_lib/objects.py)
// with hyparquet-writer, the pinned writer the plan tests use (tests/.npm,
// installed by scripts/install-deps test; SPARSEIO_NPM_DIR overrides):
//   node make_parquet.mjs DIR COUNT ROWS
// DIR/part-00000.parquet ... : one row group of five DOUBLE columns a, x, b,
// y, z (ROWS values each, uncompressed, so ROWS × 8 bytes a chunk), in that
// order, so that the two columns a reader selects (a, b) are apart, as in a
// real table where the wanted columns are rarely neighbours.
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const modules = process.env.SPARSEIO_NPM_DIR || path.join(here, '..', '..', 'tests', '.npm')
const load = (name) => import(pathToFileURL(createRequire(path.join(modules, 'x.js')).resolve(name)).href)
const { parquetWriteFile } = await load('hyparquet-writer')

const [dir, count, rows] = process.argv.slice(2).map((v, i) => (i === 0 ? v : Number(v)))
fs.mkdirSync(dir, { recursive: true })
let seed = 21
const next = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}
for (let f = 0; f < count; f++) {
  const name = path.join(dir, `part-${String(f).padStart(5, '0')}.parquet`)
  const columnData = ['a', 'x', 'b', 'y', 'z'].map((c) => ({
    name: c,
    data: Array.from({ length: rows }, () => next() * 1000),
    type: 'DOUBLE',
  }))
  parquetWriteFile({ filename: name + '.tmp', columnData, rowGroupSize: rows, codec: 'UNCOMPRESSED' })
  fs.renameSync(name + '.tmp', name)
}
