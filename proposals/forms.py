"""Forms of the proposals app's admin."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProposalForm(forms.ModelForm):
    """The proposal's admin form. ``assigned_on`` is offered only while a proposal that
    came in with its replies has none (``ProposalAdmin.get_readonly_fields``): recorded
    through ``services.record_assignments``, which counts the reply due date from it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "assigned_on" in self.fields:
            self.fields["assigned_on"].help_text = _(
                "答复函不写交办日期：记录一次，答复期限由此计算（此后只能通过延期申请改变），"
                "按时办复率据此统计。"
            )

    def clean_assigned_on(self):
        day = self.cleaned_data.get("assigned_on")
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(_("交办日期不能晚于今天。"), code="future")
        return day
