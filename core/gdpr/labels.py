"""Words for the access log and the export page: audit actions, tables and columns.

English message ids (marked with :func:`N_` so the catalog test finds them), translated where
they are shown. An action, table or column without a word is shown by its code.
"""

from __future__ import annotations

from core.web.i18n import gettext as _


def N_(message: str) -> str:
    """Mark ``message`` for the catalog; translated later, where it is shown."""
    return message


ACTIONS = {
    "person.read": N_("Opened the person's page"),
    "person.create": N_("Created the person"),
    "person.update": N_("Changed the person's details"),
    "person.account": N_("Linked or unlinked a sign-in"),
    "person.erase": N_("Erased the person's data"),
    "person.erase_preview": N_("Opened the erasure page"),
    "person.legal_hold": N_("Set a legal hold"),
    "person.legal_hold_read": N_("Looked at the legal hold"),
    "person.retention": N_("Anonymised by the tenant's retention rule"),
    "person.eligibility": N_("Checked the rules for a programme"),
    "person_intake_answers_read": N_("Read the intake answers"),
    "person_intake_answers_updated": N_("Changed the intake answers"),
    "enrolment.create": N_("Enrolled the person in a programme"),
    "enrolment.read": N_("Opened an enrolment (intake and consent)"),
    "enrolment.transition": N_("Changed an enrolment's status"),
    "enrolment.override": N_("Let the person through despite a rule"),
    "eligibility.override": N_("Let the person through despite a rule"),
    "intake.update": N_("Changed the intake interview"),
    "consent.give": N_("Recorded consent"),
    "consent.withdraw": N_("Recorded that consent was withdrawn"),
    "matching.suggestions": N_("Looked at matching suggestions"),
    "forloeb.propose": N_("Proposed a forløb"),
    "forloeb.read": N_("Opened the forløb"),
    "forloeb.accept": N_("Answered a proposed forløb"),
    "forloeb.transition": N_("Changed the forløb's state"),
    "forloeb.plan": N_("Changed the forløb's plan"),
    "forloeb.meeting": N_("Logged a meeting"),
    "forloeb.plan_meeting": N_("Planned a meeting"),
    "forloeb.cancel_meeting": N_("Cancelled a planned meeting"),
    "outcomes.read": N_("Opened a questionnaire"),
    "outcomes.answer": N_("Sent questionnaire answers"),
    "outcomes.correct": N_("Corrected questionnaire answers"),
    "outcomes.trajectory": N_("Read questionnaire answers over time"),
    "outcomes.due": N_("Looked at questionnaires due"),
    "application.read": N_("Opened the application"),
    "application.create": N_("Applied on the public page"),
    "application.delete": N_("Deleted the application"),
    "notifications.choices": N_("Read the contact choices"),
    "notifications.choices_saved": N_("Changed the contact choices"),
    "notifications.retry": N_("Sent a failed message again"),
    "course.participant_add": N_("Added the person to a mentor course"),
    "activity.member_add": N_("Added the person to an activity"),
    "calendar_link_created": N_("Made a calendar link"),
    "calendar_link_revoked": N_("Revoked a calendar link"),
    "invitation.create": N_("Invited the person to sign in"),
    "invitation.revoke": N_("Revoked an invitation"),
    "invitation.accept": N_("Accepted an invitation"),
    "member.read": N_("Opened a member"),
    "member.role": N_("Changed a member's role"),
    "member.remove": N_("Removed a member"),
    "gdpr.access_log": N_("Read who has seen the data"),
    "gdpr.export": N_("Exported all data about the person"),
    "partner_access": N_("Worked in the programme as a partner"),
}

TABLES = {
    "person": N_("Person"),
    "calendar_link": N_("Calendar links"),
    "contact_preference": N_("Contact choices"),
    "enrolment": N_("Enrolments"),
    "invitation": N_("Invitations to sign in"),
    "notification": N_("Messages"),
    "activity_attendance": N_("Attendance at activities"),
    "activity_member": N_("Member of activities"),
    "application": N_("Applications"),
    "consent": N_("Consent history"),
    "course_participant": N_("Mentor courses"),
    "enrolment_event": N_("Enrolment history"),
    "forloeb": N_("Forløb"),
    "intake": N_("Intake interviews"),
    "legal_hold": N_("Legal holds"),
    "tenant_member": N_("Sign-in and role"),
    "course_attendance": N_("Attendance at course sessions"),
    "forloeb_event": N_("Forløb history"),
    "forloeb_pause": N_("Pauses"),
    "meeting": N_("Meetings"),
    "planned_meeting": N_("Planned meetings"),
    "questionnaire_response": N_("Questionnaire answers"),
}

#: Columns by name (the same name means the same thing in every table).
COLUMNS = {
    "id": N_("Id"),
    "name": N_("Name"),
    "birth_year": N_("Birth year"),
    "attributes": N_("Answers to the programme's own questions"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "address": N_("Address"),
    "postal_code": N_("Postal code"),
    "gender": N_("Gender"),
    "languages": N_("Languages"),
    "interests": N_("Interests"),
    "availability": N_("Availability"),
    "external_ref": N_("Case reference"),
    "account": N_("Sign-in"),
    "status": N_("Status"),
    "role": N_("Role"),
    "override_reason": N_("Reason for letting the person through"),
    "override_at": N_("Let through at"),
    "motivation": N_("Motivation"),
    "expectations": N_("Expectations"),
    "wish_gender": N_("Wished gender of the other party"),
    "wish_age_min": N_("Wished age, from"),
    "wish_age_max": N_("Wished age, to"),
    "wish_activities": N_("Wished activities"),
    "wish_area": N_("Wished area"),
    "lived_experience": N_("Own experience"),
    "challenges": N_("Challenges"),
    "chemistry_notes": N_("Notes on chemistry"),
    "wish_gender_required": N_("Gender wish is a must"),
    "wish_age_required": N_("Age wish is a must"),
    "held_on": N_("Held on"),
    "staff": N_("Held by"),
    "capacity": N_("Citizens at once"),
    "paused_until": N_("Paused until"),
    "given_at": N_("Given at"),
    "withdrawn_at": N_("Withdrawn at"),
    "from_status": N_("From status"),
    "to_status": N_("To status"),
    "at": N_("Time"),
    "reason": N_("Reason"),
    "state": N_("State"),
    "reasons": N_("Why this match"),
    "proposed_on": N_("Proposed on"),
    "frequency": N_("Meeting frequency"),
    "planned_months": N_("Planned months"),
    "started_on": N_("Started on"),
    "ended_on": N_("Ended on"),
    "from_state": N_("From state"),
    "to_state": N_("To state"),
    "starts_on": N_("Starts on"),
    "ends_on": N_("Ends on"),
    "day": N_("Day"),
    "activity": N_("Activity"),
    "duration_minutes": N_("Minutes"),
    "cancelled": N_("Cancelled"),
    "note": N_("Note"),
    "starts_at": N_("Starts at"),
    "place": N_("Place"),
    "cancelled_at": N_("Cancelled at"),
    "instrument": N_("Questionnaire"),
    "occasion_date": N_("Date"),
    "answers": N_("Answers"),
    "total": N_("Score"),
    "correction_reason": N_("Reason for correction"),
    "submitted_at": N_("Sent at"),
    "title": N_("Title"),
    "body": N_("Text"),
    "channel": N_("Channel"),
    "sent_at": N_("Sent at"),
    "read_at": N_("Read at"),
    "consent_given_at": N_("Consent to be contacted given at"),
    "consent_withdrawn_at": N_("Consent to be contacted withdrawn at"),
    "channels": N_("Channels"),
    "quiet_from": N_("Quiet from"),
    "quiet_to": N_("Quiet to"),
    "hope": N_("What the person hopes for"),
    "fingerprint": N_("Duplicate check (hash)"),
    "contact_consent_text": N_("Consent text shown"),
    "contact_consent_at": N_("Consent to be contacted at"),
    "user_id": N_("Sign-in"),
    "accepted_at": N_("Accepted at"),
    "accepted_by": N_("Accepted by sign-in"),
    "expires_at": N_("Expires at"),
    "revoked_at": N_("Revoked at"),
    "created_at": N_("Created"),
    "updated_at": N_("Changed"),
    "actor": N_("By"),
    "recorded_by": N_("Recorded by"),
    "withdrawn_recorded_by": N_("Withdrawal recorded by"),
    "created_by": N_("Created by"),
    "logged_by": N_("Logged by"),
    "planned_by": N_("Planned by"),
    "proposed_by": N_("Proposed by"),
    "entered_by": N_("Entered by"),
    "cancelled_by": N_("Cancelled by"),
    "override_by": N_("Let through by"),
    "removed_by": N_("Removed by"),
    "mentee_accepted_by": N_("Accepted for the citizen by"),
    "mentor_accepted_by": N_("Accepted for the mentor by"),
}


def action_label(action: str) -> str:
    """The action in the current language (its code when it has no word)."""
    word = ACTIONS.get(action)
    return _(word) if word else action


def table_label(table: str) -> str:
    """The table in the current language (its name when it has no word)."""
    word = TABLES.get(table)
    return _(word) if word else table


def column_label(column: str) -> str | None:
    """The column in the current language, ``None`` when it has no word (shown by its name)."""
    word = COLUMNS.get(column)
    return _(word) if word else None
