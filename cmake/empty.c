/* Placeholder translation unit for a library room that has no sources. */
int ais_empty_room_unit_;
