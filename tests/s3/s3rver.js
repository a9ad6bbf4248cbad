#!/usr/bin/env node
// Starts @20minutes/s3rver (an S3-compatible server that checks SigV4 signatures)
// on 127.0.0.1 for baton's tests and benchmarks. The package has no command-line
// entry, hence this script.
//
//   node --openssl-legacy-provider s3rver.js --dir DIR [--port N] [--bucket NAME]... [--key ID --secret SECRET]
//                  [--service-endpoint DOMAIN]   (virtual hosts: <bucket>.s3.DOMAIN)
//
// Prints "PORT <n>" on stdout once it listens (port 0 picks a free one) and stays
// up until SIGTERM/SIGINT. The access key pair is registered in addition to
// s3rver's built-in S3RVER/S3RVER.
//
// s3rver 4.0.4 lacks two operations baton needs, so this script adds them as
// middleware in front of its router, behind its own signature check and over its
// own on-disk layout (<dir>/<bucket>/._S3rver_uploads/<uploadId>/):
//   AbortMultipartUpload   DELETE /bucket/key?uploadId=ID
//   ListMultipartUploads   GET    /bucket?uploads[&prefix=P]
'use strict';

const path = require('path');
const fs = require('fs');

const moduleRoot = path.join(__dirname, '..', '..', 'tools', 'node_modules', '@20minutes', 's3rver');
const S3rver = require(moduleRoot);
const AWSAccount = require(path.join(moduleRoot, 'lib', 'models', 'account'));
const S3Error = require(path.join(moduleRoot, 'lib', 'models', 'error'));
const authentication = require(path.join(moduleRoot, 'lib', 'middleware', 'authentication'));

function parseArgs(argv) {
  const out = { port: 0, buckets: [], dir: undefined, key: undefined, secret: undefined, serviceEndpoint: 'amazonaws.com' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--port') out.port = Number(next());
    else if (a === '--dir') out.dir = next();
    else if (a === '--bucket') out.buckets.push(next());
    else if (a === '--key') out.key = next();
    else if (a === '--secret') out.secret = next();
    else if (a === '--service-endpoint') out.serviceEndpoint = next();
    else throw new Error(`unknown argument ${a}`);
  }
  if (!out.dir) throw new Error('--dir is required');
  return out;
}

function xmlEscape(s) {
  return String(s).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);
}

// The two multipart operations s3rver does not implement.
function multipartExtras() {
  const auth = authentication();
  return async function extras(ctx, next) {
    const parts = ctx.path.split('/').slice(1);
    const bucket = parts.length ? decodeURIComponent(parts[0]) : '';
    const key = parts.slice(1).map(decodeURIComponent).join('/');
    const isAbort = ctx.method === 'DELETE' && key && 'uploadId' in ctx.query;
    const isList = ctx.method === 'GET' && bucket && !key && 'uploads' in ctx.query;
    if (!isAbort && !isList) return next();
    ctx.params = { bucket, key: key || undefined };
    await auth(ctx, async () => {});
    if (!(await ctx.store.getBucket(bucket))) {
      throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
    }
    const uploadsDir = ctx.store.getResourcePath(bucket, undefined, 'uploads');
    if (isAbort) {
      const dir = path.join(uploadsDir, path.basename(String(ctx.query.uploadId)));
      let storedKey;
      try {
        storedKey = fs.readFileSync(path.join(dir, 'key')).toString();
      } catch (err) {
        storedKey = undefined;
      }
      if (storedKey === undefined || storedKey !== key) {
        throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: ctx.query.uploadId });
      }
      fs.rmSync(dir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    const prefix = String(ctx.query.prefix || '');
    let ids = [];
    try {
      ids = fs.readdirSync(uploadsDir);
    } catch (err) {
      ids = [];
    }
    const uploads = [];
    for (const id of ids) {
      try {
        const k = fs.readFileSync(path.join(uploadsDir, id, 'key')).toString();
        const st = fs.statSync(path.join(uploadsDir, id, 'key'));
        if (k.startsWith(prefix)) uploads.push({ key: k, id, initiated: st.mtime.toISOString() });
      } catch (err) {
        // an upload being created or removed right now
      }
    }
    uploads.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
    const body = uploads
      .map(
        (u) =>
          `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${u.id}</UploadId>` +
          `<Initiated>${u.initiated}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`,
      )
      .join('');
    ctx.type = 'application/xml';
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Bucket>${xmlEscape(bucket)}</Bucket><Prefix>${xmlEscape(prefix)}</Prefix>` +
      `<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${body}</ListMultipartUploadsResult>`;
  };
}

// s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3
// (node >= 17) only offers through its legacy provider: without it every
// truncated listing fails with InternalError.
function checkDes() {
  try {
    require('crypto').createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
  } catch (err) {
    throw new Error(
      'this node cannot use DES, which s3rver needs for list pagination; run it as ' +
        '`node --openssl-legacy-provider s3rver.js ...` (' + err.message + ')',
    );
  }
}

async function main() {
  checkDes();
  const args = parseArgs(process.argv.slice(2));
  fs.mkdirSync(args.dir, { recursive: true });
  if (args.key) AWSAccount.DUMMY_ACCOUNT.createKeyPair(args.key, args.secret || '');
  const server = new S3rver({
    address: '127.0.0.1',
    port: args.port,
    directory: args.dir,
    silent: true,
    serviceEndpoint: args.serviceEndpoint,
    configureBuckets: args.buckets.map((name) => ({ name })),
  });
  // In front of the router (the last middleware), after the vhost rewrite.
  server.middleware.splice(server.middleware.length - 1, 0, multipartExtras());
  const address = await server.run();
  process.stdout.write(`PORT ${address.port}\n`);
  const stop = () => {
    server.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`s3rver.js: ${err.stack || err}\n`);
  process.exit(1);
});
