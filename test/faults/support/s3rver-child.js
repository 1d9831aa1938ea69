// s3rver, the outage suite's S3 stand-in, in a process of its own (see s3-server.ts):
// `node s3rver-child.js <port> <directory>`; prints "s3rver listening" once it listens.
//
// s3rver 3.7.1's FilesystemStore is not safe under concurrent requests, which the suite's load
// makes all the time (three clients, one owner, so every presigned PUT and every completion's
// DELETE lands in the same `staging/<owner>/` folder):
// - deleteObject removes the object's folder once it looks empty. A PUT into that folder that
//   has just created it (mkdirp) then opens its file in a folder that is gone: ENOENT on a write
//   stream that has no 'error' listener, an uncaught exception that ended the process (the
//   suite's second clean-clone run). Caught, the PUT answered 500, or 200 without the object
//   when another PUT had created the folder again meanwhile. Two DELETEs in one folder fail the
//   same way (readdirSync of a folder the other removed), and so does a listing walking it.
// - putObject answers once its bytes passed through, not once they are on disk, and writes the
//   object, its md5 and its metadata in place: a reader (or a SIGKILL, which the S3 outage is)
//   can meet a truncated object or one without its Content-Type.
// Here the folders stay (an empty folder is not an object; listings skip it) and every write
// goes to a temporary name first and is renamed into place, metadata before the object, so an
// object is either absent or complete. Temporary names never end in `._S3rver_object`, so a
// listing never shows them.
'use strict';

const { createHash } = require('node:crypto');
const { createWriteStream } = require('node:fs');
const { readdirSync, statSync } = require('node:fs');
const { copyFile, mkdir, readFile, rename, rm, unlink, writeFile } = require('node:fs/promises');
const { dirname, posix } = require('node:path');
const { Buffer } = require('node:buffer');
const { Readable, Transform } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const utils = require('s3rver/lib/utils');

/**
 * s3rver's listing walk stats every entry it reads: a file deleted (or renamed into place) in
 * between failed the whole listing with ENOENT. Entries that vanish are skipped. Replaced
 * before the store's module is loaded, which takes `walk` from utils when it loads.
 */
utils.walk = function* walk(dir, recurseFilter) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (error.code === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries) {
    const path = posix.join(dir, entry.name);
    let isDirectory = entry.isDirectory();
    if (!isDirectory && !entry.isFile()) {
      // A file system that does not report types: ask, and skip what is gone.
      const stats = statSync(path, { throwIfNoEntry: false });
      if (!stats) continue;
      isDirectory = stats.isDirectory();
    }
    if (!isDirectory) yield path;
    else if (!recurseFilter || recurseFilter(path)) yield* walk(path, recurseFilter);
  }
};

const S3rver = require('s3rver');
const FilesystemStore = require('s3rver/lib/stores/filesystem');
const S3Object = require('s3rver/lib/models/object');

let sequence = 0;
const temporary = (path) => `${path}.${process.pid}-${++sequence}.partial`;

/** Writes `path` under a temporary name and renames it into place. */
async function writeAtomically(path, data) {
  const partial = temporary(path);
  try {
    await writeFile(partial, data);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

async function unlinkIfPresent(path) {
  await unlink(path).catch((error) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

Object.assign(FilesystemStore.prototype, {
  async putMetadata(bucket, key, metadata, md5) {
    const json = {};
    for (const [name, value] of Object.entries(metadata)) {
      if (S3Object.ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-')) {
        json[name] = value;
      }
    }
    await mkdir(dirname(this.getResourcePath(bucket, key, 'object')), { recursive: true });
    if (md5) await writeAtomically(this.getResourcePath(bucket, key, 'object.md5'), md5);
    await writeAtomically(
      this.getResourcePath(bucket, key, 'metadata.json'),
      JSON.stringify(json, null, 2),
    );
  },

  async putObject(object) {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const partial = temporary(objectPath);
    const md5 = createHash('md5');
    let size = 0;
    const content = Buffer.isBuffer(object.content)
      ? Readable.from([object.content])
      : object.content;
    try {
      await pipeline(
        content,
        new Transform({
          transform(chunk, _encoding, callback) {
            md5.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        }),
        createWriteStream(partial),
      );
      const digest = md5.digest('hex');
      await this.putMetadata(object.bucket, object.key, object.metadata, digest);
      await rename(partial, objectPath);
      return { size, md5: digest };
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  },

  async copyObject(srcBucket, srcKey, destBucket, destKey, replacementMetadata) {
    const source = (resource) => this.getResourcePath(srcBucket, srcKey, resource);
    const target = (resource) => this.getResourcePath(destBucket, destKey, resource);
    if (source('object') === target('object')) {
      // Only the metadata changes (s3rver refuses a copy onto itself without REPLACE).
      await this.putMetadata(destBucket, destKey, replacementMetadata);
      return this.getMetadata(destBucket, destKey);
    }
    await mkdir(dirname(target('object')), { recursive: true });
    const partial = temporary(target('object'));
    try {
      await copyFile(source('object'), partial);
      const md5 = createHash('md5')
        .update(await readFile(partial))
        .digest('hex');
      const metadata =
        replacementMetadata ??
        (await readFile(source('metadata.json'))
          .then((data) => JSON.parse(data.toString()))
          .catch((error) => {
            if (error.code === 'ENOENT') return {};
            throw error;
          }));
      await this.putMetadata(destBucket, destKey, metadata, md5);
      await rename(partial, target('object'));
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return this.getMetadata(destBucket, destKey);
  },

  async deleteObject(bucket, key) {
    // The object first: from then on it is gone, whatever happens to its md5 and metadata.
    await unlinkIfPresent(this.getResourcePath(bucket, key, 'object'));
    await Promise.all(
      ['object.md5', 'metadata.json'].map((resource) =>
        unlinkIfPresent(this.getResourcePath(bucket, key, resource)),
      ),
    );
  },
});

// A last resort, never expected now: one failed request is logged, not the whole stand-in
// gone for every later scenario. The suite's output shows the stack.
process.on('uncaughtException', (error) => console.error('s3rver uncaught:', error));

const [port, directory] = process.argv.slice(2);
const s3rver = new S3rver({ address: '127.0.0.1', port: Number(port), silent: true, directory });
s3rver
  .run()
  .then(() => {
    // Longer than any client keeps an idle connection: the server never closes one a client
    // is about to reuse (Node's default is 5 s).
    s3rver.httpServer.keepAliveTimeout = 65_000;
    console.log('s3rver listening');
  })
  .catch((error) => {
    console.error('s3rver could not listen:', error);
    process.exit(1);
  });
