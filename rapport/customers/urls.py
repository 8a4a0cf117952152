from django.urls import path

from rapport.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.new_customer, name="new"),
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/edit/", views.edit_customer, name="edit"),
    path("<int:customer_id>/notes/", views.add_note, name="add_note"),
    path("<int:customer_id>/tags/", views.add_tag, name="add_tag"),
    path("<int:customer_id>/tags/<str:name>/remove/", views.remove_tag, name="remove_tag"),
    path("<int:customer_id>/associate/", views.set_associate, name="set_associate"),
    path("<int:customer_id>/merge/", views.merge, name="merge"),
]
