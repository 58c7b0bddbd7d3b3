"""The back-office pages of arrears (included under /staff/arrears/).

`worklists`: the current cases by level, aging, and the supervisors' work
lists (disconnections to approve or stop, hand-overs to the collection
agency with the CSV export and recalls). `accounts`: what an agent does for
one account: holds, a payment plan set up on the phone with the customer's
consent, the notice letters.

Permissions: seeing cases arrears.view_dunningcase; holds view/add/change
dunninghold; plans view/add paymentplan; the disconnection and agency lists
view_disconnectionorder / view_agencyreferral, deciding on them
decide_disconnectionorder / decide_agencyreferral (supervisors)."""

VIEW_CASES = "arrears.view_dunningcase"
VIEW_NOTICES = "arrears.view_dunningnotice"
VIEW_HOLDS = "arrears.view_dunninghold"
ADD_HOLD = "arrears.add_dunninghold"
RELEASE_HOLD = "arrears.change_dunninghold"
VIEW_PLANS = "arrears.view_paymentplan"
ADD_PLAN = "arrears.add_paymentplan"
VIEW_DISCONNECTIONS = "arrears.view_disconnectionorder"
DECIDE_DISCONNECTIONS = "arrears.decide_disconnectionorder"
VIEW_REFERRALS = "arrears.view_agencyreferral"
DECIDE_REFERRALS = "arrears.decide_agencyreferral"
