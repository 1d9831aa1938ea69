'use strict';
// autocannon `setupRequest` for worker threads (which can only load a file): each request gets
// a multipart body whose JPEG (read from BENCH_JPEG_PATH) is made unique by bytes after its end
// marker, so deduplication never short-cuts an upload.
const { Buffer } = require('node:buffer');
const { readFileSync } = require('node:fs');
const { threadId } = require('node:worker_threads');

const BOUNDARY = 'vireo-bench-boundary';
const head = Buffer.from(
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="b.jpg"\r\n` +
    'Content-Type: image/jpeg\r\n\r\n',
);
const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
let counter = 0;
let jpeg;

module.exports = function setupRequest(request) {
  jpeg ??= readFileSync(process.env.BENCH_JPEG_PATH);
  const unique = Buffer.from(`${process.pid}-${threadId}-${counter++}`.padEnd(32, '.'));
  return { ...request, body: Buffer.concat([head, jpeg, unique, tail]) };
};
module.exports.BOUNDARY = BOUNDARY;
