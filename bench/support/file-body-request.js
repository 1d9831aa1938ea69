'use strict';
// autocannon `setupRequest` for worker threads (a Buffer body does not survive the hand-over
// to the worker): every request's body is the file at BENCH_BODY_PATH.
const { readFileSync } = require('node:fs');

let body;

module.exports = function setupRequest(request) {
  body ??= readFileSync(process.env.BENCH_BODY_PATH);
  return { ...request, body };
};
