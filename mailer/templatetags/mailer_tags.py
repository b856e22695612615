"""The mailer's codes in words on pages: ``{{ email.waiting_for|wait_label }}``."""

from django import template

from mailer import labels

register = template.Library()

register.filter("wait_label", labels.wait_reason_label)
register.filter("wait_help", labels.wait_reason_help)
register.filter("failure_label", labels.failure_reason_label)
register.filter("failure_help", labels.failure_reason_help)
