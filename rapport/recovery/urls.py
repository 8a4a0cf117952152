from django.urls import path

from rapport.recovery import views

app_name = "recovery"

urlpatterns = [
    path("conversations/<int:conversation_id>/", views.conversation_panel, name="conversation_panel"),
    path("conversations/<int:conversation_id>/actions/", views.propose, name="propose"),
    path("actions/<int:action_id>/", views.action_detail, name="action"),
    path("actions/<int:action_id>/decide/", views.decide, name="decide"),
    path("actions/<int:action_id>/cancel/", views.cancel, name="cancel"),
    path("actions/<int:action_id>/outcome/", views.outcome, name="outcome"),
    path("approvals/", views.approvals, name="approvals"),
    path("policies/", views.policies, name="policies"),
    path("policies/new/", views.policy_new, name="policy_new"),
    path("policies/<int:policy_id>/", views.policy_edit, name="policy"),
    path("report/", views.report, name="report"),
]
