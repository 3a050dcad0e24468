package camera

import (
	"encoding/json"
)

// Fast paths: fill the same structs encoding/json would, with the scanner.
// fuzz_test.go checks them against encoding/json.

func parseDetection(s *scanner, j *detectionJSON) {
	s.object(func(k []byte) {
		switch string(k) {
		case "schema":
			j.Schema = internSchema(s.rawStr())
		case "id":
			j.ID = s.str()
		case "time":
			j.Time = s.timeRFC3339()
		case "source":
			s.object(func(k []byte) {
				switch string(k) {
				case "id":
					j.Source.ID = s.str()
				case "type":
					j.Source.Type = s.str()
				case "vendor":
					j.Source.Vendor = s.str()
				default:
					s.skip()
				}
			})
		case "track_id":
			j.TrackID = s.str()
		case "class":
			j.Class = internClass(s.rawStr())
		case "confidence":
			j.Confidence = s.numPtr()
		case "position":
			if s.peek() == 'n' {
				s.skip()
				j.Position = nil
				return
			}
			p := &positionJSON{}
			j.Position = p
			s.object(func(k []byte) {
				switch string(k) {
				case "lat":
					p.Lat = s.numPtr()
				case "lon":
					p.Lon = s.numPtr()
				case "alt_m":
					p.AltM = s.numPtr()
				case "ce95_m":
					p.CE95 = s.num()
				case "cov_ne_m2":
					if s.peek() == 'n' {
						s.skip()
						p.CovNE = nil
						return
					}
					var m [2][2]float64
					r := 0
					s.array(func() {
						c := 0
						s.array(func() {
							if r < 2 && c < 2 {
								m[r][c] = s.num()
							} else {
								s.skip()
							}
							c++
						})
						r++
					})
					p.CovNE = &m
				default:
					s.skip()
				}
			})
		case "bearing":
			if s.peek() == 'n' {
				s.skip()
				j.Bearing = nil
				return
			}
			b := &bearingJSON{}
			j.Bearing = b
			s.object(func(k []byte) {
				switch string(k) {
				case "az_deg":
					b.AzDeg = s.numPtr()
				case "el_deg":
					b.ElDeg = s.numPtr()
				case "sigma_az_deg":
					b.SigmaAzDeg = s.num()
				case "sigma_el_deg":
					b.SigmaElDeg = s.num()
				default:
					s.skip()
				}
			})
		case "range":
			if s.peek() == 'n' {
				s.skip()
				j.Range = nil
				return
			}
			r := &rangeJSON{}
			j.Range = r
			s.object(func(k []byte) {
				switch string(k) {
				case "m":
					r.M = s.num()
				case "sigma_m":
					r.SigmaM = s.num()
				default:
					s.skip()
				}
			})
		case "image":
			if s.peek() == 'n' {
				s.skip()
				j.Image = nil
				return
			}
			im := &imageJSON{}
			j.Image = im
			s.object(func(k []byte) {
				switch string(k) {
				case "width":
					im.Width = s.integer()
				case "height":
					im.Height = s.integer()
				case "bbox":
					if s.peek() == 'n' {
						s.skip()
						im.BBox = nil
						return
					}
					bb := &bboxJSON{}
					im.BBox = bb
					s.object(func(k []byte) {
						switch string(k) {
						case "x":
							bb.X = s.num()
						case "y":
							bb.Y = s.num()
						case "w":
							bb.W = s.num()
						case "h":
							bb.H = s.num()
						default:
							s.skip()
						}
					})
				default:
					s.skip()
				}
			})
		case "sensor_pose":
			if s.peek() == 'n' {
				s.skip()
				j.SensorPose = nil
				return
			}
			sp := &poseJSON{}
			j.SensorPose = sp
			s.object(func(k []byte) {
				switch string(k) {
				case "lat":
					sp.Lat = s.numPtr()
				case "lon":
					sp.Lon = s.numPtr()
				case "height_agl_m":
					sp.HeightAGLM = s.num()
				case "heading_deg":
					sp.HeadingDeg = s.num()
				case "tilt_deg":
					sp.TiltDeg = s.num()
				case "hfov_deg":
					sp.HFOVDeg = s.num()
				case "vfov_deg":
					sp.VFOVDeg = s.num()
				case "max_range_m":
					sp.MaxRangeM = s.num()
				default:
					s.skip()
				}
			})
		case "velocity":
			if s.peek() == 'n' {
				s.skip()
				j.Velocity = nil
				return
			}
			v := &velocityJSON{}
			j.Velocity = v
			s.object(func(k []byte) {
				switch string(k) {
				case "speed_mps":
					v.SpeedMPS = s.num()
				case "course_deg":
					v.CourseDeg = s.num()
				default:
					s.skip()
				}
			})
		case "state":
			j.State = s.str()
		case "rule":
			j.Rule = s.str()
		case "zone":
			j.Zone = s.str()
		case "attributes":
			if s.peek() == 'n' {
				s.skip()
				return
			}
			if j.Attributes == nil {
				j.Attributes = make(map[string]json.RawMessage, 4)
			}
			s.object(func(k []byte) {
				// The value aliases the payload: canonical() turns it into
				// a string before Decode returns.
				j.Attributes[string(k)] = s.raw()
			})
		default:
			s.skip()
		}
	})
}

func internSchema(b []byte) string {
	if string(b) == SchemaV1 {
		return SchemaV1
	}
	return string(b)
}

func internClass(b []byte) string {
	for _, c := range [...]string{"human", "person", "vehicle", "animal", "unknown", "vessel", "aircraft", "drone"} {
		if string(b) == c {
			return c
		}
	}
	return string(b)
}

func parseAxisFrame(s *scanner, f *axisFrame) {
	s.object(func(k []byte) {
		switch string(k) {
		case "channel_id":
			if s.peek() == '"' {
				f.ChannelID = flexString(s.str())
			} else {
				f.ChannelID = flexString(s.raw())
			}
		case "timestamp":
			if s.peek() == '"' || s.peek() == 'n' {
				f.Timestamp.Time = s.timeRFC3339()
			} else {
				_ = f.Timestamp.UnmarshalJSON(s.raw())
			}
		case "detections":
			s.array(func() {
				f.Detections = append(f.Detections, axisDetection{})
				parseAxisDetection(s, &f.Detections[len(f.Detections)-1])
			})
		case "observations":
			s.array(func() {
				f.Observations = append(f.Observations, axisDetection{})
				parseAxisDetection(s, &f.Observations[len(f.Observations)-1])
			})
		case "frame":
			if s.peek() == 'n' {
				s.skip()
				return
			}
			inner := &axisFrame{}
			parseAxisFrame(s, inner)
			f.Frame = inner
		default:
			s.skip()
		}
	})
}

func parseAxisDetection(s *scanner, a *axisDetection) {
	flex := func() flexString {
		if s.peek() == '"' {
			return flexString(s.str())
		}
		if s.peek() == 'n' {
			s.skip()
			return ""
		}
		return flexString(s.raw())
	}
	class := func(c *axisClass) {
		s.object(func(k []byte) {
			switch string(k) {
			case "type":
				c.Type = s.str()
			case "score":
				c.Score = s.numPtr()
			default:
				s.skip()
			}
		})
	}
	geo := func() *axisGeo {
		if s.peek() == 'n' {
			s.skip()
			return nil
		}
		g := &axisGeo{}
		s.object(func(k []byte) {
			switch string(k) {
			case "latitude":
				g.Latitude = s.numPtr()
			case "longitude":
				g.Longitude = s.numPtr()
			case "elevation":
				g.Elevation = s.numPtr()
			default:
				s.skip()
			}
		})
		return g
	}
	s.object(func(k []byte) {
		switch string(k) {
		case "track_id":
			a.TrackID = flex()
		case "id":
			a.ID = flex()
		case "timestamp":
			if s.peek() == '"' || s.peek() == 'n' {
				a.Timestamp.Time = s.timeRFC3339()
			} else if err := a.Timestamp.UnmarshalJSON(s.raw()); err != nil {
				s.fail()
			}
		case "bounding_box":
			if s.peek() == 'n' {
				s.skip()
				a.BoundingBox = nil
				return
			}
			bb := &boxJSON{}
			a.BoundingBox = bb
			s.object(func(k []byte) {
				switch string(k) {
				case "left":
					bb.Left = s.num()
				case "top":
					bb.Top = s.num()
				case "right":
					bb.Right = s.num()
				case "bottom":
					bb.Bottom = s.num()
				default:
					s.skip()
				}
			})
		case "class":
			if s.peek() == 'n' {
				s.skip()
				a.Class = nil
				return
			}
			c := &axisClass{}
			class(c)
			a.Class = c
		case "classes":
			s.array(func() {
				a.Classes = append(a.Classes, axisClass{})
				class(&a.Classes[len(a.Classes)-1])
			})
		case "geographic_position":
			a.Geo = geo()
		case "geoposition":
			a.GeoAlt = geo()
		default:
			s.skip()
		}
	})
}
