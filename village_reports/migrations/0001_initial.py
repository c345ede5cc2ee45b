"""Focus villages and village reports, moved from villages with their tables."""

import django.db.models.deletion
import django.utils.timezone
import uuid
import village_reports.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('villages', '0007_village_profile'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables exist (they were created by villages' migrations): only the state moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='FocusDecree',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('year', models.PositiveSmallIntegerField(verbose_name='tahun')),
                        ('number', models.CharField(blank=True, max_length=120, verbose_name='nomor SK')),
                        ('signed_on', models.DateField(blank=True, null=True, verbose_name='tanggal SK')),
                        ('scan', models.FileField(blank=True, upload_to=village_reports.models.private_path, verbose_name='pindaian SK')),
                        ('scan_name', models.CharField(blank=True, max_length=200)),
                        ('scan_sha256', models.CharField(blank=True, max_length=64)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('district', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='focus_decrees', to='villages.district')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'SK desa lokus',
                        'db_table': 'villages_focusdecree',
                        'ordering': ['-year'],
                    },
                ),
                migrations.CreateModel(
                    name='FocusImport',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('year', models.PositiveSmallIntegerField()),
                        ('file', models.FileField(upload_to=village_reports.models.private_path)),
                        ('original_name', models.CharField(max_length=200)),
                        ('preview', models.JSONField(blank=True, default=dict)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('applied_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('district', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='villages.district')),
                    ],
                    options={
                        'db_table': 'villages_focusimport',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='FocusVillage',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('prevalence', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True, verbose_name='prevalensi stunting (%)')),
                        ('prevalence_source', models.CharField(blank=True, help_text='Misalnya: e-PPGBM Agustus 2025', max_length=120, verbose_name='sumber dan tahun data prevalensi')),
                        ('stunted_children', models.PositiveIntegerField(blank=True, null=True, verbose_name='jumlah balita stunting')),
                        ('figures', models.JSONField(blank=True, default=dict, verbose_name='data lain')),
                        ('note', models.CharField(blank=True, max_length=300, verbose_name='catatan')),
                        ('decree', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='entries', to='village_reports.focusdecree')),
                        ('district', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='villages.district')),
                        ('village', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='focus_entries', to='villages.village')),
                    ],
                    options={
                        'verbose_name': 'desa lokus',
                        'verbose_name_plural': 'desa lokus',
                        'db_table': 'villages_focusvillage',
                        'ordering': ['village__code'],
                    },
                ),
                migrations.CreateModel(
                    name='ReportPeriod',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('year', models.PositiveSmallIntegerField(verbose_name='tahun')),
                        ('kind', models.CharField(choices=[('scorecard', 'Scorecard konvergensi desa'), ('semester', 'Laporan semester desa')], max_length=10, verbose_name='jenis')),
                        ('number', models.PositiveSmallIntegerField(verbose_name='ke-')),
                        ('starts_on', models.DateField(verbose_name='mulai')),
                        ('ends_on', models.DateField(verbose_name='berakhir')),
                        ('opens_on', models.DateField(verbose_name='dapat dikirim mulai')),
                        ('due_on', models.DateField(verbose_name='batas kirim')),
                        ('district', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='report_periods', to='villages.district')),
                    ],
                    options={
                        'verbose_name': 'periode laporan',
                        'db_table': 'villages_reportperiod',
                        'ordering': ['year', 'kind', 'number'],
                    },
                ),
                migrations.CreateModel(
                    name='VillageReminder',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('threshold', models.SmallIntegerField()),
                        ('recipients', models.JSONField(default=list)),
                        ('sent_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('period', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='village_reports.reportperiod')),
                        ('village', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='villages.village')),
                    ],
                    options={
                        'db_table': 'villages_villagereminder',
                    },
                ),
                migrations.CreateModel(
                    name='VillageReport',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('version', models.PositiveSmallIntegerField(default=1)),
                        ('status', models.CharField(choices=[('draft', 'draf'), ('submitted', 'menunggu verifikasi'), ('returned', 'dikembalikan'), ('verified', 'terverifikasi')], default='draft', max_length=10)),
                        ('data', models.JSONField(blank=True, default=dict)),
                        ('remark', models.TextField(blank=True, max_length=2000, verbose_name='catatan camat')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('first_submitted_at', models.DateTimeField(blank=True, null=True)),
                        ('submitted_at', models.DateTimeField(blank=True, null=True)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('district', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='villages.district')),
                        ('period', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reports', to='village_reports.reportperiod')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('village', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reports', to='villages.village')),
                    ],
                    options={
                        'db_table': 'villages_villagereport',
                        'ordering': ['period', 'village__code', '-version'],
                    },
                ),
                migrations.CreateModel(
                    name='ReportFile',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('slot', models.CharField(max_length=20)),
                        ('file', models.FileField(upload_to=village_reports.models.private_path)),
                        ('original_name', models.CharField(max_length=200)),
                        ('content_type', models.CharField(max_length=100)),
                        ('size', models.PositiveIntegerField()),
                        ('sha256', models.CharField(max_length=64)),
                        ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('district', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='villages.district')),
                        ('uploaded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='files', to='village_reports.villagereport')),
                    ],
                    options={
                        'db_table': 'villages_reportfile',
                        'ordering': ['uploaded_at'],
                    },
                ),
                migrations.CreateModel(
                    name='ReportEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('from_status', models.CharField(blank=True, choices=[('draft', 'draf'), ('submitted', 'menunggu verifikasi'), ('returned', 'dikembalikan'), ('verified', 'terverifikasi')], max_length=10)),
                        ('to_status', models.CharField(choices=[('draft', 'draf'), ('submitted', 'menunggu verifikasi'), ('returned', 'dikembalikan'), ('verified', 'terverifikasi')], max_length=10)),
                        ('remark', models.TextField(blank=True, max_length=2000)),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('actor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('district', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='villages.district')),
                        ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='village_reports.villagereport')),
                    ],
                    options={
                        'db_table': 'villages_reportevent',
                        'ordering': ['at', 'pk'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='focusdecree',
                    constraint=models.UniqueConstraint(fields=('district', 'year'), name='focus_decree_unique_year'),
                ),
                migrations.AddConstraint(
                    model_name='focusvillage',
                    constraint=models.UniqueConstraint(fields=('decree', 'village'), name='focus_village_unique'),
                ),
                migrations.AddConstraint(
                    model_name='reportperiod',
                    constraint=models.UniqueConstraint(fields=('district', 'year', 'kind', 'number'), name='report_period_unique'),
                ),
                migrations.AddConstraint(
                    model_name='villagereminder',
                    constraint=models.UniqueConstraint(fields=('period', 'village', 'threshold'), name='village_reminder_once'),
                ),
                migrations.AddIndex(
                    model_name='villagereport',
                    index=models.Index(fields=['period', 'village'], name='villages_vi_period__17a5f7_idx'),
                ),
                migrations.AddConstraint(
                    model_name='villagereport',
                    constraint=models.UniqueConstraint(fields=('village', 'period', 'version'), name='village_report_unique_version'),
                ),
                migrations.AddConstraint(
                    model_name='villagereport',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'verified'), _negated=True), fields=('village', 'period'), name='village_report_one_open'),
                ),
    
            ],
        ),
]
