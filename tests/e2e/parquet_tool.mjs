// Independent Parquet writer and reader for the tests (hyparquet-writer and
// hyparquet, pinned, installed by scripts/install-deps test into tests/.npm).
//   node parquet_tool.mjs write OUT ROWS ROWS_PER_GROUP
//   node parquet_tool.mjs read FILE COLUMNS(comma) ROW_START ROW_END   -> JSON rows
//   node parquet_tool.mjs meta FILE   -> {"rows": N, "row_groups": N} from the footer alone
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const modules = process.env.SPARSEIO_NPM_DIR || path.join(here, '..', '.npm')
const load = (name) => import(pathToFileURL(createRequire(path.join(modules, 'x.js')).resolve(name)).href)

const [mode, file, a, b, c] = process.argv.slice(2)
if (mode === 'write') {
  const { parquetWriteFile } = await load('hyparquet-writer')
  const rows = Number(a)
  const id = [], price = [], qty = [], name = []
  for (let i = 0; i < rows; i++) {
    id.push(i)
    price.push(i * 1.25 + 0.5)
    qty.push((i * 7919) % 1000)
    name.push(`item-${i}-${'x'.repeat(i % 13)}`)
  }
  parquetWriteFile({
    filename: file,
    columnData: [
      { name: 'id', data: id, type: 'INT32' },
      { name: 'price', data: price, type: 'DOUBLE' },
      { name: 'qty', data: qty, type: 'INT32' },
      { name: 'name', data: name, type: 'STRING' },
    ],
    rowGroupSize: Number(b),
    codec: 'UNCOMPRESSED',
  })
} else if (mode === 'read') {
  const { asyncBufferFromFile, parquetReadObjects } = await load('hyparquet')
  const buf = await asyncBufferFromFile(file)
  const rows = await parquetReadObjects({ file: buf, columns: a.split(','), rowStart: Number(b), rowEnd: Number(c) })
  process.stdout.write(JSON.stringify(rows))
} else if (mode === 'meta') {
  const { asyncBufferFromFile, parquetMetadataAsync } = await load('hyparquet')
  const md = await parquetMetadataAsync(await asyncBufferFromFile(file))
  process.stdout.write(JSON.stringify({ rows: Number(md.num_rows), row_groups: md.row_groups.length }))
} else {
  console.error('usage: parquet_tool.mjs write|read|meta ...')
  process.exit(2)
}
