"""The register of guesses: every behaviour the Wix docs do not fix, in one place.

``GET /_emulator/divergences`` serves this list, and tests read it. Each entry gives
what the emulator does, the evidence behind it, and, where another answer is credible,
the setting that switches to it. Evidence names the public source it rests on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

SDK_ACCOUNTS = "@wix/auto_sdk_loyalty_accounts 1.0.45 types and HTTP metadata"
SDK_TRANSACTIONS = "@wix/auto_sdk_loyalty_transactions 1.0.40 types"
ASYNC_JOB_TYPES = "Wix Velo type declarations of wix-async-jobs.v2"
ERRORS_PAGE = "https://dev.wix.com/api/rest/getting-started/errors"


@dataclass(frozen=True)
class Divergence:
    id: str
    endpoint: str
    behaviour: str
    evidence: str
    alternative: str | None = None
    setting: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


REGISTER: tuple[Divergence, ...] = (
    Divergence(
        id="fetch-by-missing-account",
        endpoint="GET /loyalty-accounts/v1/accounts/fetch-by",
        behaviour="A contact or member without an account returns 200 with the body {}.",
        evidence="Seen in production by users of the API; no doc states it.",
        alternative="404 NOT_FOUND, as the docs' generic error table would suggest.",
        setting="fetch_by_missing=not_found",
    ),
    Divergence(
        id="adjust-revision-optional",
        endpoint="POST /loyalty-accounts/v1/accounts/{accountId}/adjust-points",
        behaviour="revision is optional. When sent it must equal the account's current "
        "revision, or the call fails with 409 REVISION_MISMATCH and changes nothing.",
        evidence=f"{SDK_ACCOUNTS} mark revision optional; the Velo docs call it required; "
        f"{ERRORS_PAGE} lists 409 for a revision that differs from the stored one.",
        alternative="A missing revision is rejected with 400.",
        setting="require_revision=true",
    ),
    Divergence(
        id="adjust-negative-balance",
        endpoint="POST /loyalty-accounts/v1/accounts/{accountId}/adjust-points",
        behaviour="An adjustment whose result is below zero fails with 400 and code "
        "NEGATIVE_BALANCE and changes nothing. The code is the emulator's own.",
        evidence=f"{SDK_ACCOUNTS}: 'the result may not be negative'; no error code is documented.",
        alternative="428 FAILED_PRECONDITION or 409.",
        setting="negative_balance_status=428",
    ),
    Divergence(
        id="give-in-transactions-api",
        endpoint="GET/POST /loyalty-transactions/v1/loyalty-transactions",
        behaviour="An adjustment by amount shows as type GIVE in the account's "
        "latestTransaction and as transactionType ADJUST (with adjustInfo) in the "
        "Transactions API, whose enum has no GIVE.",
        evidence=f"{SDK_TRANSACTIONS}: TransactionType is UNKNOWN, EARN, REDEEM, ADJUST, "
        "REFUND, EXPIRE; the Accounts docs name the amount adjustment GIVE.",
        alternative="The Transactions API reports GIVE.",
        setting="give_transaction_type=GIVE",
    ),
    Divergence(
        id="adjust-amount-sign",
        endpoint="POST /loyalty-accounts/v1/accounts/{accountId}/adjust-points",
        behaviour="A transaction's amount is the signed change of the balance, for a balance "
        "set (ADJUST) as well as an amount (GIVE); adjustInfo carries amountBefore and "
        "amountAfter.",
        evidence="The legacy adjust example sets 0 to 715 and shows amount 715, which fits "
        "both readings.",
        alternative="amount is the new balance for ADJUST.",
    ),
    Divergence(
        id="both-balance-and-amount",
        endpoint="POST /loyalty-accounts/v1/accounts/{accountId}/adjust-points, bulk-adjust",
        behaviour="A body with both balance and amount is accepted and balance applies.",
        evidence=f"The REST docs: 'if both are given, balance applies'; {SDK_ACCOUNTS} "
        "declare them a oneof.",
    ),
    Divergence(
        id="duplicate-account",
        endpoint="POST /loyalty-accounts/v1/accounts",
        behaviour="A second account for the same contact fails with 409 ALREADY_EXISTS; "
        "the data names the existing account.",
        evidence=f"One account per contact is implied by fetch-by; {ERRORS_PAGE} maps "
        "'already exists' to 409.",
    ),
    Divergence(
        id="unknown-contact",
        endpoint="POST /loyalty-accounts/v1/accounts",
        behaviour="A contact ID the site does not know is accepted; the account gets a bare "
        "contact with only its ID. Seed contacts to get names and emails.",
        evidence="The docs say the customer must already be a contact but name no error.",
        alternative="404 for an unknown contact.",
    ),
    Divergence(
        id="program-not-active",
        endpoint="POST /loyalty-accounts/v1/accounts, earn-points",
        behaviour="While the program is DRAFT or PAUSED, create and earn fail with 428 "
        "PROGRAM_NOT_ACTIVE (the emulator's code). Adjust and bulk adjust work in any status.",
        evidence=f"{SDK_ACCOUNTS}: the program must be active to create accounts; the "
        "program docs: no earning or redeeming while DRAFT or PAUSED.",
    ),
    Divergence(
        id="new-site-program-active",
        endpoint="GET /loyalty-programs/v1/program",
        behaviour="A site the emulator has not seen starts with an ACTIVE program, so a fresh "
        "site is usable at once. Wix starts a new program in DRAFT.",
        evidence="The Programs docs: a new program starts in DRAFT.",
        alternative="Start new sites in DRAFT.",
        setting="initial_program_status=DRAFT",
    ),
    Divergence(
        id="earn-idempotency",
        endpoint="POST /loyalty-accounts/v1/accounts/{accountId}/earn-points",
        behaviour="An idempotency key used before on the same account fails with 409 and code "
        "TRANSACTION_ALREADY_EXISTS and changes nothing. Keys are kept for the life of the "
        "site; the same key on another account is a new earn.",
        evidence="The code TRANSACTION_ALREADY_EXISTS was seen in production; the status, "
        "scope and retention are not documented.",
        alternative="Return 200 with the original transaction.",
    ),
    Divergence(
        id="not-found-codes",
        endpoint="account, transaction and async job reads",
        behaviour="An unknown account, transaction or job fails with 404 NOT_FOUND.",
        evidence=f"{ERRORS_PAGE} maps 'not found' to 404; no specific code is documented.",
    ),
    Divergence(
        id="bulk-selection",
        endpoint="POST /loyalty-accounts/v1/accounts/bulk-adjust",
        behaviour="The search selects every matching account: cursorPaging does not cap it, "
        "sort sets the order of processing, an empty or absent search selects all accounts, "
        "free-text search.search is honoured. The selection is fixed when the job is created.",
        evidence="Not documented.",
    ),
    Divergence(
        id="bulk-partial-failure",
        endpoint="POST /loyalty-accounts/v1/accounts/bulk-adjust",
        behaviour="An account whose result would be below zero becomes a failed item (code "
        "NEGATIVE_BALANCE) and the rest succeed; the job still ends FINISHED with failCount "
        "and errorByCodeCount set. FAILED is kept for a job that fails as a whole.",
        evidence=f"{ASYNC_JOB_TYPES}: per-item success and error, job-level FAILED.",
    ),
    Divergence(
        id="job-timing",
        endpoint="GET /async-jobs/v1/async-jobs/{jobId}",
        behaviour="A job stays INITIALIZED for job_start_delay seconds, then is PROCESSING "
        "while it applies job_rate accounts per second, then FINISHED. Defaults: 0.5 s and "
        "200 accounts per second. Jobs running at the same time apply their items in "
        "due-time order, so overlapping jobs interleave.",
        evidence="Real job speed is not documented.",
        alternative="Immediate jobs, finished before the bulk response returns.",
        setting="job_mode=immediate",
    ),
    Divergence(
        id="job-shape",
        endpoint="GET /async-jobs/v1/async-jobs/{jobId}",
        behaviour="counts.total is the number of selected accounts from creation on; the "
        "deprecated counters mirror counts; createdBy is APP_ID with the Loyalty app's ID; "
        "metadata is {}.",
        evidence=f"{ASYNC_JOB_TYPES}; what loyalty puts in metadata and createdBy is unknown.",
    ),
    Divergence(
        id="job-items",
        endpoint="GET /async-jobs/v1/async-jobs/{jobId}/items",
        behaviour="One item per account the job has reached so far, in processing order, "
        "entityId = account ID, no data. statusFilter defaults to ALL; paging.limit defaults "
        "to 100, maximum 100.",
        evidence=f"{ASYNC_JOB_TYPES}; a third-party client notes 100 items per page.",
    ),
    Divergence(
        id="async-jobs-paths",
        endpoint="/async-jobs/v1/async-jobs/...",
        behaviour="Served at /async-jobs/v1/..., /_api/async-jobs/v1/... and the unprefixed "
        "/v1/async-jobs/... that one docs page shows.",
        evidence="The REST docs page uses the /async-jobs prefix; no SDK package maps it.",
    ),
    Divergence(
        id="query-defaults",
        endpoint="POST /loyalty-accounts/v1/accounts/query, search",
        behaviour="Without a sort, results are in createdDate ascending order with id as the "
        "tiebreak. Query pages hold 100 by default and search pages 50; 100 is the maximum.",
        evidence="The Query docs give createdDate ascending and limit 100; an older SDK doc "
        "gives createdDate descending and 50.",
    ),
    Divergence(
        id="paging-cursors",
        endpoint="query, search, list and job item endpoints",
        behaviour="cursors.next is present only when another page exists and cursors.prev "
        "only on pages after the first; a cursor alone carries the filter, sort and position.",
        evidence="The SDK sends only the cursor on later pages and reads only cursors.next.",
    ),
    Divergence(
        id="operator-spellings",
        endpoint="query, search, count, bulk-adjust, transactions query",
        behaviour="$begins and $startsWith, $any and $hasSome are accepted on every endpoint.",
        evidence="Search docs use $begins and $any, query docs $startsWith and $hasSome.",
    ),
    Divergence(
        id="reward-available",
        endpoint="account objects",
        behaviour="rewardAvailable is false unless the reward_threshold setting is above zero "
        "and the balance reaches it; the emulator has no Rewards API.",
        evidence="rewardAvailable depends on the site's rewards, which are not emulated.",
        setting="reward_threshold=N",
    ),
    Divergence(
        id="tier",
        endpoint="account objects",
        behaviour="Every account is in the base tier: tier has no id, points = earned + "
        "adjusted (at least 0), updatedDate = the last points change.",
        evidence="Tiers are not emulated.",
    ),
    Divergence(
        id="contact-object",
        endpoint="account objects",
        behaviour="contact carries id, name, email and displayName when known, and a picture "
        "with empty url and id and 0 sizes, as the SDK types declare those non-null.",
        evidence=f"{SDK_ACCOUNTS} mark contact.picture fields non-nullable.",
    ),
    Divergence(
        id="current-member",
        endpoint="GET /loyalty-accounts/v1/accounts/my-account",
        behaviour="The caller's member ID comes from the emulator's x-wix-emulator-member-id "
        "header. Without it the call fails with 403; a member without an account gets 404.",
        evidence="Real calls carry the member in the access token, which the emulator does not "
        "verify.",
    ),
    Divergence(
        id="auth",
        endpoint="every API route",
        behaviour="Any non-empty Authorization value is accepted. A missing Authorization "
        "header fails with 401 UNAUTHENTICATED, a missing wix-site-id with 403 "
        "PERMISSION_DENIED.",
        evidence=f"{ERRORS_PAGE}; the API-key guide lists a missing wix-site-id as a 403 cause.",
    ),
    Divergence(
        id="int64-input",
        endpoint="every request body",
        behaviour="Integer fields take JSON numbers, numeric strings and whole floats (10.0), "
        "as protobuf JSON parsers do; unknown fields are ignored.",
        evidence="protobuf JSON mapping.",
    ),
    Divergence(
        id="program-premium-and-expiration",
        endpoint="/loyalty-programs/v1/program/premium-features, points-expiration, bulk/programs",
        behaviour="Premium features are loyaltyProgram true, tiers and pointsExpiration false. "
        "Enabling points expiration sets status ENABLED with 12 months of inactivity and 100 "
        "percent when none were set; no points ever expire. Bulk get lists only the site of "
        "the request.",
        evidence="@wix/auto_sdk_loyalty_programs 1.0.52 types; defaults are not documented.",
    ),
    Divergence(
        id="request-size-limit",
        endpoint="every API route",
        behaviour="A request body over 1 MiB fails with 413 and code PAYLOAD_TOO_LARGE; JSON "
        "nested more than 64 levels fails with 400. The control plane has no size limit.",
        evidence="Wix documents no request size or depth limit.",
    ),
    Divergence(
        id="long-cursors",
        endpoint="query, search, list and transactions query",
        behaviour="A cursor whose filter would make it longer than 16000 characters is kept "
        "by the emulator and handed out as a short reference that works until the emulator "
        "restarts or 100 newer long cursors push it out.",
        evidence="CursorPaging.cursor has a documented maximum of 16000 characters; how Wix "
        "keeps its cursors is not documented.",
    ),
    Divergence(
        id="contacts-subset",
        endpoint="POST /contacts/v4/contacts, DELETE /contacts/v4/contacts/{contactId}",
        behaviour="Only create and delete are served, for the contract suite. A contact keeps "
        "its name (first and last joined) and first email; the response echoes info.name, "
        "info.emails and primaryInfo.email with revision 1. A duplicate email fails with 409 "
        "DUPLICATE_CONTACT_EXISTS unless allowDuplicates is true. Deleting a contact leaves "
        "its loyalty account unchanged.",
        evidence="Contacts v4 contact-object docs and the @wix/contacts SDK paths; third-party "
        "clients match DUPLICATE_CONTACT_EXISTS; what happens to a deleted contact's account "
        "is not documented.",
    ),
    Divergence(
        id="seed-transactions",
        endpoint="POST /_emulator/seed",
        behaviour="Seeded points write no transactions: a seeded account has no "
        "latestTransaction until its first change.",
        evidence="An emulator-only endpoint.",
    ),
)


def register_json() -> list[dict[str, Any]]:
    return [entry.to_json() for entry in REGISTER]
