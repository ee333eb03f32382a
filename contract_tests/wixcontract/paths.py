"""REST paths of the Wix APIs under test, in their www.wixapis.com form."""

from __future__ import annotations

ACCOUNTS = "/loyalty-accounts/v1/accounts"
TRANSACTIONS = "/loyalty-transactions/v1/loyalty-transactions"
PROGRAM = "/loyalty-programs/v1/program"
JOBS = "/async-jobs/v1/async-jobs"
CONTACTS = "/contacts/v4/contacts"

# The Wix Loyalty app's ID, which Wix records as appId of manual operations.
LOYALTY_APP_ID = "553c79f3-5625-4f38-b14b-ef7c0d1e87df"

FINISHED_STATUSES = ("FINISHED", "FAILED")
