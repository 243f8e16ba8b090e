"""The names of sessions' and registrations' states and audiences, in the user's language."""

from coop.trainings.tables import Registration, TrainingSession
from coop.validation import Msg

SESSION_STATUSES = {
    TrainingSession.Status.draft.value: Msg("Draft"),
    TrainingSession.Status.open.value: Msg("Open for registration"),
    TrainingSession.Status.closed.value: Msg("Registration closed"),
    TrainingSession.Status.held.value: Msg("Held"),
    TrainingSession.Status.cancelled.value: Msg("Cancelled"),
}
AUDIENCES = {
    TrainingSession.Audience.members.value: Msg("Members of the union only"),
    TrainingSession.Audience.anyone.value: Msg("Anyone (non-members become enrollment leads)"),
}
REGISTRATION_STATUSES = {
    Registration.Status.confirmed.value: Msg("Confirmed"),
    Registration.Status.waitlisted.value: Msg("Waiting list"),
    Registration.Status.cancelled.value: Msg("Cancelled"),
}
NAMES = dict(
    session_statuses=SESSION_STATUSES,
    audiences=AUDIENCES,
    registration_statuses=REGISTRATION_STATUSES,
)
