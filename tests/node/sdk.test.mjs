// Drives a running emulator with the official, unchanged Wix JavaScript SDK packages.
//
// scripts/test-sdk starts an emulator and runs this file. To run it by hand against an
// emulator that is already running:
//   WIX_EMULATOR_URL=http://127.0.0.1:8080 node --test tests/node/
//
// Every test seeds its own site under a fresh random site ID, so tests share no accounts.
// Emulator settings are global, so the tests in this file run one after another (the
// node:test default within a file) and must not run alongside other clients of the same server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { ApiKeyStrategy, createClient } from '@wix/sdk';
import * as accounts from '@wix/auto_sdk_loyalty_accounts';
import * as programs from '@wix/auto_sdk_loyalty_programs';
import * as transactions from '@wix/auto_sdk_loyalty_transactions';

const BASE_URL = requireBaseUrl();
const API_KEY = 'test-key';
// Origins the SDK builds URLs with: www for REST modules, edge when useCDN is on.
const WIX_ORIGIN = /^https:\/\/(www|edge)\.wixapis\.com/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EARN_APP_ID = randomUUID();
// Upper bound for a bulk job to reach FINISHED. With the job settings from before(), the
// three-account job below needs 0.05 s of start delay plus 3 accounts at 200 per second.
const JOB_TIMEOUT_MS = 10_000;

const seededSites = [];
let settings;

function requireBaseUrl() {
  const value = process.env.WIX_EMULATOR_URL;
  if (!value) {
    throw new Error(
      'WIX_EMULATOR_URL is not set: run scripts/test-sdk, or start the emulator and set ' +
        'WIX_EMULATOR_URL to its base URL, e.g. http://127.0.0.1:8080',
    );
  }
  return value.replace(/\/+$/, '');
}

// Sends one control-plane request and returns the parsed body. A non-200 status fails the test.
async function control(method, path, body) {
  const response = await fetch(BASE_URL + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, 200, `${method} ${path} returned ${response.status}: ${text}`);
  return JSON.parse(text);
}

// Sends a REST request that no SDK package covers (the Async Job API) with the SDK's auth headers.
async function restGet(siteId, path) {
  const response = await fetch(BASE_URL + path, {
    headers: { Authorization: API_KEY, 'wix-site-id': siteId },
  });
  const text = await response.text();
  assert.equal(response.status, 200, `GET ${path} returned ${response.status}: ${text}`);
  return JSON.parse(text);
}

// Rewrites the SDK's production URLs to the emulator and rejects any other destination.
function emulatorFetch(url, init) {
  const target = String(url).replace(WIX_ORIGIN, BASE_URL);
  if (!target.startsWith(BASE_URL + '/')) {
    throw new Error(
      `rejected SDK request to ${url}: only www.wixapis.com and edge.wixapis.com URLs ` +
        'go to the emulator',
    );
  }
  return fetch(target, init);
}

function makeClient(siteId) {
  return createClient({
    modules: { accounts, transactions, programs },
    auth: ApiKeyStrategy({ apiKey: API_KEY, siteId }),
    useCDN: false,
    fetch: emulatorFetch,
  });
}

// Seeds a fresh site with `contactCount` contacts and returns an SDK client bound to it.
async function newSite(contactCount = 1) {
  const siteId = randomUUID();
  seededSites.push(siteId);
  const contacts = Array.from({ length: contactCount }, (_, index) => ({
    id: randomUUID(),
    name: `Contact ${index + 1}`,
    email: `contact${index + 1}@example.com`,
  }));
  await control('POST', '/_emulator/seed', { siteId, contacts });
  return { siteId, client: makeClient(siteId), contactIds: contacts.map((contact) => contact.id) };
}

// Returns the error that `promise` rejects with, and fails the test if it resolves.
async function captureError(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the SDK call to throw, but it resolved');
}

function assertDate(value, name) {
  assert.ok(value instanceof Date, `${name} should be a Date, got ${typeof value}: ${value}`);
  assert.ok(!Number.isNaN(value.getTime()), `${name} is an invalid Date`);
}

function assertAccountShape(account) {
  assert.match(account._id, GUID);
  assert.equal(account.id, undefined, 'the SDK renames id to _id');
  assert.equal(typeof account.revision, 'string');
  assertDate(account._createdDate, 'account._createdDate');
  assertDate(account._updatedDate, 'account._updatedDate');
  assert.equal(account.createdDate, undefined, 'the SDK renames createdDate to _createdDate');
}

before(async () => {
  await control('PATCH', '/_emulator/settings', {
    job_mode: 'timed',
    job_start_delay: 0.05,
    job_rate: 200,
  });
  ({ settings } = await control('GET', '/_emulator/settings'));
});

after(async () => {
  for (const siteId of seededSites) {
    await control('POST', '/_emulator/reset', { siteId });
  }
});

test('createAccount returns an empty account', async () => {
  const { client, contactIds } = await newSite();
  const [contactId] = contactIds;

  const { account } = await client.accounts.createAccount(contactId);

  assertAccountShape(account);
  assert.equal(account.contactId, contactId);
  assert.equal(account.points.balance, 0);
  assert.equal(account.points.earned, 0);
  assert.equal(account.points.adjusted, 0);
  assert.equal(account.points.redeemed, 0);
  assert.equal(account.revision, '1');
  assert.equal(account.rewardAvailable, false);
  assert.equal(account.contact._id, contactId, 'nested contact.id is renamed too');
});

test('earnPoints raises balance and rejects a replayed key', async () => {
  const { client, contactIds } = await newSite();
  const { account } = await client.accounts.createAccount(contactIds[0]);
  const idempotencyKey = randomUUID();

  const earned = await client.accounts.earnPoints(account._id, {
    amount: 50,
    appId: EARN_APP_ID,
    idempotencyKey,
    description: 'first order',
  });

  assertAccountShape(earned.account);
  assert.match(earned.transactionId, GUID);
  assert.equal(earned.account.points.balance, 50);
  assert.equal(earned.account.points.earned, 50);
  assert.ok(Number(earned.account.revision) > Number(account.revision), 'earning bumps revision');

  const error = await captureError(
    client.accounts.earnPoints(account._id, { amount: 50, appId: EARN_APP_ID, idempotencyKey }),
  );
  assert.equal(error.status, 409);
  assert.equal(error.details.applicationError.code, 'TRANSACTION_ALREADY_EXISTS');

  const current = await client.accounts.getAccount(account._id);
  assert.equal(current.points.balance, 50);
  assert.equal(current.points.earned, 50);
});

test('earnPoints below minimum is a validation error', async () => {
  const { client, contactIds } = await newSite();
  const { account } = await client.accounts.createAccount(contactIds[0]);

  const error = await captureError(
    client.accounts.earnPoints(account._id, {
      amount: 0,
      appId: EARN_APP_ID,
      idempotencyKey: randomUUID(),
    }),
  );

  assert.equal(error.status, 400);
  const violations = error.details.validationError?.fieldViolations;
  assert.ok(Array.isArray(violations), `expected a validationError, got ${error.message}`);
  const fields = violations.map((violation) => violation.field);
  assert.deepEqual(fields, ['options.amount'], 'the SDK maps REST field amount to options.amount');
});

test('adjustPoints by amount and by balance', async () => {
  const { client, contactIds } = await newSite();
  const { account } = await client.accounts.createAccount(contactIds[0]);

  const byAmount = await client.accounts.adjustPoints(account._id, {
    amount: 30,
    description: 'goodwill',
  });
  assertAccountShape(byAmount.account);
  assert.match(byAmount.transactionId, GUID);
  assert.equal(byAmount.account.points.balance, 30);
  assert.equal(byAmount.account.points.adjusted, 30);

  const byBalance = await client.accounts.adjustPoints(account._id, {
    balance: 75,
    revision: byAmount.account.revision,
  });
  assert.equal(byBalance.account.points.balance, 75);
  assert.equal(byBalance.account.points.adjusted, 75);
  assert.ok(Number(byBalance.account.revision) > Number(byAmount.account.revision));

  const stale = await captureError(
    client.accounts.adjustPoints(account._id, { balance: 10, revision: byAmount.account.revision }),
  );
  assert.equal(stale.status, 409);
  assert.equal(typeof stale.details.applicationError.code, 'string');

  const belowZero = await captureError(
    client.accounts.adjustPoints(account._id, { amount: -100 }),
  );
  assert.equal(belowZero.status, settings.negative_balance_status);
  assert.equal(typeof belowZero.details.applicationError.code, 'string');

  const current = await client.accounts.getAccount(account._id);
  assert.equal(current.points.balance, 75, 'rejected adjustments leave the balance unchanged');
  assert.equal(current.revision, byBalance.account.revision);
});

test('getAccount, secondary ID and transactions', async () => {
  const { client, contactIds } = await newSite();
  const [contactId] = contactIds;
  const { account } = await client.accounts.createAccount(contactId);
  const idempotencyKey = randomUUID();
  const earn = await client.accounts.earnPoints(account._id, {
    amount: 40,
    appId: EARN_APP_ID,
    idempotencyKey,
  });
  const give = await client.accounts.adjustPoints(account._id, { amount: 5 });
  const set = await client.accounts.adjustPoints(account._id, { balance: 20 });

  const fetched = await client.accounts.getAccount(account._id);
  assertAccountShape(fetched);
  assert.equal(fetched._id, account._id);
  assert.equal(fetched.contactId, contactId);
  assert.equal(fetched.points.balance, 20);
  assert.equal(fetched.points.earned, 40);
  assert.equal(fetched.points.adjusted, -20);
  assert.equal(fetched.revision, set.account.revision);
  assertDate(fetched.lastActivityDate, 'account.lastActivityDate');

  const { account: byContact } = await client.accounts.getAccountBySecondaryId({ contactId });
  assertAccountShape(byContact);
  assert.equal(byContact._id, account._id);
  assert.equal(byContact.points.balance, 20);

  const result = await client.transactions
    .queryLoyaltyTransactions()
    .eq('accountId', account._id)
    .find();
  const byId = new Map(result.items.map((item) => [item._id, item]));
  assert.equal(result.items.length, 3);
  assert.equal(result.hasNext(), false);

  const earnRecord = byId.get(earn.transactionId);
  assert.ok(earnRecord, 'the earn transaction is in the query result');
  assert.equal(earnRecord.transactionType, 'EARN');
  assert.equal(earnRecord.amount, 40);
  assert.equal(earnRecord.accountId, account._id);
  assert.equal(earnRecord.idempotencyKey, idempotencyKey);
  assert.equal(earnRecord.earnInfo.appId, EARN_APP_ID);
  assertDate(earnRecord._createdDate, 'transaction._createdDate');

  // The emulator reports amount adjustments as ADJUST or GIVE, as set by give_transaction_type.
  const giveRecord = byId.get(give.transactionId);
  assert.ok(giveRecord, 'the amount adjustment is in the query result');
  assert.equal(giveRecord.transactionType, settings.give_transaction_type);
  assert.equal(giveRecord.amount, 5);

  const setRecord = byId.get(set.transactionId);
  assert.ok(setRecord, 'the balance adjustment is in the query result');
  assert.equal(setRecord.transactionType, 'ADJUST');
  assert.equal(setRecord.adjustInfo.amountBefore, 45);
  assert.equal(setRecord.adjustInfo.amountAfter, 20);

  const single = await client.transactions.getLoyaltyTransaction(earn.transactionId);
  assert.equal(single._id, earn.transactionId);
  assert.equal(single.transactionType, 'EARN');
  assert.equal(single.amount, 40);
  assertDate(single._createdDate, 'getLoyaltyTransaction._createdDate');
});

test('pausing the program blocks createAccount', async () => {
  const { client, contactIds } = await newSite(2);

  const { loyaltyProgram } = await client.programs.getLoyaltyProgram();
  assert.equal(loyaltyProgram.status, settings.initial_program_status);
  assertDate(loyaltyProgram._createdDate, 'loyaltyProgram._createdDate');
  assertDate(loyaltyProgram._updatedDate, 'loyaltyProgram._updatedDate');

  const paused = await client.programs.pauseLoyaltyProgram();
  assert.equal(paused.loyaltyProgram.status, 'PAUSED');
  const reread = await client.programs.getLoyaltyProgram();
  assert.equal(reread.loyaltyProgram.status, 'PAUSED');

  const error = await captureError(client.accounts.createAccount(contactIds[0]));
  assert.equal(error.status, 428);
  assert.equal(typeof error.details.applicationError.code, 'string');

  const activated = await client.programs.activateLoyaltyProgram();
  assert.equal(activated.loyaltyProgram.status, 'ACTIVE');
  const { account } = await client.accounts.createAccount(contactIds[1]);
  assert.equal(account.contactId, contactIds[1]);
});

test('program premium features and points expiration', async () => {
  const { client } = await newSite(0);

  const features = await client.programs.getLoyaltyProgramPremiumFeatures();
  assert.equal(features.loyaltyProgram, true);
  assert.equal(typeof features.pointsExpiration, 'boolean');

  const enabled = await client.programs.enablePointsExpiration();
  assert.equal(enabled.loyaltyProgram.pointsExpiration.status, 'ENABLED');
  const disabled = await client.programs.disablePointsExpiration();
  assert.equal(disabled.loyaltyProgram.pointsExpiration.status, 'DISABLED');

  const bulk = await client.programs.bulkGetLoyaltyProgram();
  assert.equal(bulk.programInSites.length, 1);
  assert.equal(bulk.programInSites[0].loyaltyProgram.status, 'ACTIVE');
});

test('bulkAdjustPoints job adjusts filtered accounts', async () => {
  const { siteId, client, contactIds } = await newSite(4);
  const accountIds = [];
  for (const contactId of contactIds) {
    const { account } = await client.accounts.createAccount(contactId);
    accountIds.push(account._id);
  }
  const [outside, ...targets] = accountIds;

  const { asyncJobId } = await client.accounts.bulkAdjustPoints({
    search: { filter: { _id: { $in: targets } } },
    amount: 10,
  });
  assert.match(asyncJobId, GUID);

  const jobPath = `/async-jobs/v1/async-jobs/${asyncJobId}`;
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  let job;
  for (;;) {
    ({ job } = await restGet(siteId, jobPath));
    if (job.status === 'FINISHED' || job.status === 'FAILED') break;
    assert.ok(Date.now() < deadline, `job still ${job.status} after ${JOB_TIMEOUT_MS} ms`);
    await sleep(50);
  }
  assert.equal(job.status, 'FINISHED');
  assert.equal(job.id, asyncJobId);
  assert.equal(job.counts.total, 3);
  assert.equal(job.counts.successCount, 3);
  assert.equal(job.counts.failCount, 0);

  const { results } = await restGet(siteId, `${jobPath}/items`);
  assert.deepEqual(results.map((item) => item.success), [true, true, true]);

  for (const accountId of targets) {
    const account = await client.accounts.getAccount(accountId);
    assert.equal(account.points.balance, 10, `account ${accountId} is in the filter`);
  }
  const untouched = await client.accounts.getAccount(outside);
  assert.equal(untouched.points.balance, 0, 'an account outside the filter keeps its balance');
});

test('queryLoyaltyAccounts pages with a cursor', async () => {
  const { client, contactIds } = await newSite(5);
  const created = [];
  for (const contactId of contactIds) {
    const { account } = await client.accounts.createAccount(contactId);
    created.push(account._id);
  }

  const seen = [];
  let page = await client.accounts.queryLoyaltyAccounts().limit(2).find();
  let pageCount = 1;
  for (;;) {
    assert.ok(page.items.length <= 2, `page ${pageCount} has ${page.items.length} items`);
    for (const item of page.items) {
      assertAccountShape(item);
      seen.push(item._id);
    }
    if (!page.hasNext()) break;
    assert.ok(pageCount < 10, 'paging did not end after 10 pages');
    page = await page.next();
    pageCount += 1;
  }

  assert.equal(pageCount, 3);
  assert.equal(seen.length, created.length, 'each account is returned exactly once');
  assert.deepEqual([...seen].sort(), [...created].sort());
});

test('getAccount of unknown ID is NOT_FOUND', async () => {
  const { client } = await newSite();

  const error = await captureError(client.accounts.getAccount(randomUUID()));

  assert.equal(error.status, 404);
  assert.equal(error.details.applicationError.code, 'NOT_FOUND');
});

test('createAccount twice for a contact conflicts', async () => {
  const { client, contactIds } = await newSite();
  await client.accounts.createAccount(contactIds[0]);

  const error = await captureError(client.accounts.createAccount(contactIds[0]));

  assert.equal(error.status, 409);
  assert.equal(error.details.applicationError.code, 'ALREADY_EXISTS');
});
