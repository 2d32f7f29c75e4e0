"""Item tags of every widget the views update, in one frozen place."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tags:
    tracks_window: str = "tracks_window"
    track_combo: str = "track_combo"
    status_text: str = "status_text"
    run_button: str = "run_button"
    pause_button: str = "pause_button"
    mode_radio: str = "mode_radio"
    tickets_table: str = "tickets_table"
    new_track_title: str = "new_track_title"
    form_title: str = "form_title"
    form_target: str = "form_target"
    form_prompt: str = "form_prompt"
    form_dependencies: str = "form_dependencies"
    form_archetype: str = "form_archetype"
    form_new_file: str = "form_new_file"
    block_reason: str = "block_reason"
    done_summary: str = "done_summary"
    mark_done_button: str = "mark_done_button"

    detail_window: str = "detail_window"
    detail_header: str = "detail_header"
    detail_prompt: str = "detail_prompt"
    detail_summary: str = "detail_summary"
    stream_child: str = "stream_child"
    history_combo: str = "history_combo"

    approval_window: str = "approval_window"
    approval_title: str = "approval_title"
    approval_json: str = "approval_json"
    approval_error: str = "approval_error"
    approval_wrapped: str = "approval_wrapped"
    approval_diff: str = "approval_diff"
    approve_button: str = "approve_button"
    reject_button: str = "reject_button"
    reject_reason: str = "reject_reason"

    files_window: str = "files_window"
    files_filter: str = "files_filter"
    files_table: str = "files_table"
    view_radio: str = "view_radio"
    view_title: str = "view_title"
    view_table: str = "view_table"

    side_window: str = "side_window"
    hints_table: str = "hints_table"
    output_window: str = "output_window"
    output_table: str = "output_table"
    usage_table: str = "usage_table"
    settings_tier3_provider: str = "settings_tier3_provider"
    settings_tier3_model: str = "settings_tier3_model"
    settings_tier4_provider: str = "settings_tier4_provider"
    settings_tier4_model: str = "settings_tier4_model"
    settings_trust: str = "settings_trust"
    settings_timeout: str = "settings_timeout"


TAGS = Tags()
